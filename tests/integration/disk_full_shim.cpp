// A full disk for the real server, injected below RocksDB: loaded with LD_PRELOAD, it makes
// every write to a regular file fail with ENOSPC while the file named by
// BLENDROUTE_TEST_DISK_FULL exists. Standard output and error (the server's log) still work,
// as a log shipped elsewhere would on a full journal disk.
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstdlib>

namespace {

bool disk_is_full(int fd) {
  const char* flag = std::getenv("BLENDROUTE_TEST_DISK_FULL");
  if (flag == nullptr || fd <= STDERR_FILENO) {
    return false;
  }

  struct stat status {};

  if (::fstat(fd, &status) != 0 || !S_ISREG(status.st_mode)) {
    return false;  // Sockets, pipes: not on the disk.
  }
  return ::access(flag, F_OK) == 0;
}

template <typename Function>
Function real(const char* name) {
  return reinterpret_cast<Function>(::dlsym(RTLD_NEXT, name));
}

}  // namespace

extern "C" {

ssize_t write(int fd, const void* data, size_t size) {
  static const auto next = real<ssize_t (*)(int, const void*, size_t)>("write");
  if (disk_is_full(fd)) {
    errno = ENOSPC;
    return -1;
  }
  return next(fd, data, size);
}

ssize_t pwrite(int fd, const void* data, size_t size, off_t offset) {
  static const auto next = real<ssize_t (*)(int, const void*, size_t, off_t)>("pwrite");
  if (disk_is_full(fd)) {
    errno = ENOSPC;
    return -1;
  }
  return next(fd, data, size, offset);
}

ssize_t pwrite64(int fd, const void* data, size_t size, off64_t offset) {
  static const auto next = real<ssize_t (*)(int, const void*, size_t, off64_t)>("pwrite64");
  if (disk_is_full(fd)) {
    errno = ENOSPC;
    return -1;
  }
  return next(fd, data, size, offset);
}

ssize_t writev(int fd, const struct iovec* parts, int count) {
  static const auto next = real<ssize_t (*)(int, const struct iovec*, int)>("writev");
  if (disk_is_full(fd)) {
    errno = ENOSPC;
    return -1;
  }
  return next(fd, parts, count);
}

int fallocate(int fd, int mode, off_t offset, off_t length) {
  static const auto next = real<int (*)(int, int, off_t, off_t)>("fallocate");
  if (disk_is_full(fd)) {
    errno = ENOSPC;
    return -1;
  }
  return next(fd, mode, offset, length);
}

int fallocate64(int fd, int mode, off64_t offset, off64_t length) {
  static const auto next = real<int (*)(int, int, off64_t, off64_t)>("fallocate64");
  if (disk_is_full(fd)) {
    errno = ENOSPC;
    return -1;
  }
  return next(fd, mode, offset, length);
}

}  // extern "C"

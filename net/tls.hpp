// The TLS server context of the listeners (listen.tcp_tls, listen.http_tls).
#pragma once

#include <memory>

#include <boost/asio/ssl/context.hpp>

#include "core/config.hpp"
#include "core/error.hpp"

namespace blendroute::net {

/// A server context with the certificate chain and private key of `listener`, TLS 1.2 and
/// newer only. A file that cannot be read or a key that does not match the certificate is
/// a config_invalid error naming the key and the file.
result<std::shared_ptr<boost::asio::ssl::context>> make_tls_server_context(
    const listener_config& listener);

}  // namespace blendroute::net

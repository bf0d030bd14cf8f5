// OpenSSL through Asio: the server context shared by every TLS connection of a listener.
#include "net/tls.hpp"

namespace blendroute::net {

result<std::shared_ptr<boost::asio::ssl::context>> make_tls_server_context(
    const listener_config& listener) {
  namespace ssl = boost::asio::ssl;
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2
                           | ssl::context::no_sslv3 | ssl::context::no_tlsv1
                           | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                       ec);
  if (ec) {
    return error{errc::config_invalid, "TLS options: " + ec.message()};
  }
  context->use_certificate_chain_file(listener.tls_certificate, ec);
  if (ec) {
    return error{errc::config_invalid,
                 "listen.tls_certificate \"" + listener.tls_certificate + "\": " + ec.message()};
  }
  context->use_private_key_file(listener.tls_private_key, ssl::context::pem, ec);
  if (ec) {
    return error{errc::config_invalid,
                 "listen.tls_private_key \"" + listener.tls_private_key + "\": " + ec.message()};
  }
  // OpenSSL checks that the key belongs to the certificate only when asked.
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    return error{errc::config_invalid, "listen.tls_private_key \"" + listener.tls_private_key
                                           + "\" does not match listen.tls_certificate"};
  }
  return context;
}

}  // namespace blendroute::net

// WebSocket `GET /v1/stream`: the frames and rules of a TCP connection, one per message.
#pragma once

#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "net/connection_limit.hpp"
#include "net/stream_session.hpp"

namespace blendroute::net {

/// Takes over an HTTP connection whose request `upgrade` asked for the WebSocket upgrade
/// (boost::beast::websocket::is_upgrade holds), answers the handshake and runs the stream
/// session on the socket's executor; the HTTP connection's `slot` stays taken until the
/// stream closes. The returned session may be closed from any thread; it keeps itself
/// alive while the connection is open.
std::shared_ptr<stream_session> start_websocket_session(
    boost::asio::ip::tcp::socket socket,
    const boost::beast::http::request<boost::beast::http::string_body>& upgrade,
    stream_listener& listener, connection_limit::slot slot);

/// The same over a TLS connection whose handshake is done.
std::shared_ptr<stream_session> start_websocket_session(
    boost::beast::ssl_stream<boost::beast::tcp_stream> stream,
    const boost::beast::http::request<boost::beast::http::string_body>& upgrade,
    stream_listener& listener, connection_limit::slot slot);

}  // namespace blendroute::net

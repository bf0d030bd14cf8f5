// `overloaded`: one visitor for std::visit made of several lambdas.
#pragma once

namespace blendroute {

template <class... Handlers>
struct overloaded : Handlers... {
  using Handlers::operator()...;
};

template <class... Handlers>
overloaded(Handlers...) -> overloaded<Handlers...>;

}  // namespace blendroute

// One visitor from several lambdas, for std::visit over a layer's attributes (LayerAttrs):
//
//   std::visit(overloaded{[](const ConvAttrs& a) {...}, [](const PoolAttrs& a) {...}, ...}, spec.attrs);
//
// With one lambda per alternative and no catch-all, a layer kind added to LayerAttrs without its
// lowering (or reference, or summary) is a compile error where it is missing, not a throw at run time.
#pragma once

namespace kiln {

template <class... Fs>
struct overloaded : Fs... {
    using Fs::operator()...;
};
template <class... Fs>
overloaded(Fs...) -> overloaded<Fs...>;

}  // namespace kiln

// See onednn_net.hpp.
#include "onednn_net.hpp"

#include <dnnl.hpp>
#include <random>
#include <stdexcept>
#include <unordered_map>

namespace bench {

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;
using kiln::LayerSpec;

struct OneDnnNet::State {
    engine eng{engine::kind::cpu, 0};
    stream strm{eng};
    std::vector<std::pair<primitive, std::unordered_map<int, memory>>> steps;
    int batch = 1;
    void* net_input = nullptr;         // the NHWC input a user hands over
    bool input_reordered = false;      // steps[0] reorders it (done once, not timed)

    memory::dims dims(kiln::Shape s) const { return {batch, memory::dim(s.c), memory::dim(s.h), memory::dim(s.w)}; }

    // Random values in oneDNN's preferred layout `md` (the values do not matter for timing, only
    // that they are ordinary floats).
    memory filled(const memory::desc& md) {
        memory m(md, eng);
        std::mt19937 rng(3);
        std::uniform_real_distribution<float> u(-0.1f, 0.1f);
        float* p = static_cast<float*>(m.get_data_handle());
        for (std::size_t i = 0; i < md.get_size() / sizeof(float); ++i) p[i] = u(rng);
        return m;
    }

    // `m` in the layout a primitive asked for: itself, or the output of a reorder step.
    memory as(const memory& m, const memory::desc& wanted) {
        if (m.get_desc() == wanted) return m;
        memory r(wanted, eng);
        if (steps.empty() && m.get_data_handle() == net_input) input_reordered = true;
        steps.push_back({reorder(m, r), {{DNNL_ARG_FROM, m}, {DNNL_ARG_TO, r}}});
        return r;
    }

    memory conv(const LayerSpec& l, const memory& x, bool relu) {
        const auto& c = std::get<kiln::ConvAttrs>(l.attrs);
        const kiln::Pads r = c.rows(l.in), k = c.cols(l.in);
        // Grouped: oneDNN's weights gain a leading groups axis, {G, O/G, I/G, KH, KW}.
        const memory::dim kh = memory::dim(c.kernel.h), kw = memory::dim(c.kernel.w);
        const memory::dims w_dims = c.groups == 1
                                        ? memory::dims{memory::dim(c.filters), memory::dim(l.in.c), kh, kw}
                                        : memory::dims{memory::dim(c.groups), memory::dim(c.group_filters()),
                                                       memory::dim(c.group_input_channels(l.in)), kh, kw};
        const memory::desc bias_md = c.bias ? memory::desc({memory::dim(c.filters)}, dt::f32, tag::x) : memory::desc();
        convolution_forward::desc d(prop_kind::forward_inference, algorithm::convolution_direct,
                                    memory::desc(dims(l.in), dt::f32, tag::any), memory::desc(w_dims, dt::f32, tag::any), bias_md,
                                    memory::desc(dims(l.out), dt::f32, tag::any), {memory::dim(c.stride.h), memory::dim(c.stride.w)},
                                    {memory::dim(c.dilation.h - 1), memory::dim(c.dilation.w - 1)},
                                    {memory::dim(r.begin), memory::dim(k.begin)}, {memory::dim(r.end), memory::dim(k.end)});
        primitive_attr attr;
        if (relu) {
            post_ops ops;
            ops.append_eltwise(1.0f, algorithm::eltwise_relu, 0.0f, 0.0f);
            attr.set_post_ops(ops);
        }
        convolution_forward::primitive_desc pd(d, attr, eng);
        memory src = as(x, pd.src_desc()), dst(pd.dst_desc(), eng);
        std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, filled(pd.weights_desc())}, {DNNL_ARG_DST, dst}};
        if (c.bias) args[DNNL_ARG_BIAS] = filled(pd.bias_desc());
        steps.push_back({convolution_forward(pd), args});
        return dst;
    }

    memory pool(const LayerSpec& l, const memory& x) {
        const auto& p = std::get<kiln::PoolAttrs>(l.attrs);
        const kiln::Pads r = p.rows(l.in), k = p.cols(l.in);
        const algorithm a = p.function == kiln::PoolFunction::max ? algorithm::pooling_max
                            : p.count_padding                    ? algorithm::pooling_avg_include_padding
                                                                 : algorithm::pooling_avg_exclude_padding;
        pooling_forward::desc d(prop_kind::forward_inference, a, x.get_desc(), memory::desc(dims(l.out), dt::f32, tag::any),
                                {memory::dim(p.stride.h), memory::dim(p.stride.w)}, {memory::dim(p.window.h), memory::dim(p.window.w)},
                                {memory::dim(r.begin), memory::dim(k.begin)}, {memory::dim(r.end), memory::dim(k.end)});
        pooling_forward::primitive_desc pd(d, eng);
        memory dst(pd.dst_desc(), eng);
        steps.push_back({pooling_forward(pd), {{DNNL_ARG_SRC, x}, {DNNL_ARG_DST, dst}}});
        return dst;
    }

    memory relu(const memory& x) {
        eltwise_forward::primitive_desc pd({prop_kind::forward_inference, algorithm::eltwise_relu, x.get_desc(), 0.0f, 0.0f}, eng);
        memory dst(pd.dst_desc(), eng);
        steps.push_back({eltwise_forward(pd), {{DNNL_ARG_SRC, x}, {DNNL_ARG_DST, dst}}});
        return dst;
    }

    memory dense(const LayerSpec& l, const memory& x) {
        const auto& a = std::get<kiln::DenseAttrs>(l.attrs);
        memory::dims w_dims = x.get_desc().dims();  // 4-D after a conv or pool, 2-D after a dense
        w_dims[0] = memory::dim(a.units);
        const memory::desc bias_md = a.bias ? memory::desc({memory::dim(a.units)}, dt::f32, tag::x) : memory::desc();
        inner_product_forward::desc d(prop_kind::forward_inference, memory::desc(x.get_desc().dims(), dt::f32, tag::any),
                                      memory::desc(w_dims, dt::f32, tag::any), bias_md,
                                      memory::desc({batch, memory::dim(a.units)}, dt::f32, tag::any));
        inner_product_forward::primitive_desc pd(d, eng);
        memory src = as(x, pd.src_desc()), dst(pd.dst_desc(), eng);
        std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, filled(pd.weights_desc())}, {DNNL_ARG_DST, dst}};
        if (a.bias) args[DNNL_ARG_BIAS] = filled(pd.bias_desc());
        steps.push_back({inner_product_forward(pd), args});
        return dst;
    }

    memory softmax(const memory& x) {
        softmax_forward::primitive_desc pd({prop_kind::forward_inference, x.get_desc(), 1}, eng);
        memory dst(pd.dst_desc(), eng);
        steps.push_back({softmax_forward(pd), {{DNNL_ARG_SRC, x}, {DNNL_ARG_DST, dst}}});
        return dst;
    }

    memory concat(const LayerSpec& l, const memory& x) {
        std::vector<memory> parts;
        std::vector<memory::desc> descs;
        for (const auto& branch : l.children) {
            parts.push_back(sequence(branch, x));
            descs.push_back(parts.back().get_desc());
        }
        concat::primitive_desc pd(1, descs, eng);
        memory dst(pd.dst_desc(), eng);
        std::unordered_map<int, memory> args{{DNNL_ARG_DST, dst}};
        for (std::size_t i = 0; i < parts.size(); ++i) args[DNNL_ARG_MULTIPLE_SRC + int(i)] = parts[i];
        steps.push_back({dnnl::concat(pd), args});
        return dst;
    }

    memory sequence(const std::vector<LayerSpec>& layers, memory x) {
        for (std::size_t i = 0; i < layers.size(); ++i) {
            const LayerSpec& l = layers[i];
            auto is_relu = [&](std::size_t j) {
                const auto* a = j < layers.size() ? std::get_if<kiln::ActivationAttrs>(&layers[j].attrs) : nullptr;
                return a && a->function == kiln::ActivationFunction::relu;
            };
            if (std::holds_alternative<kiln::ConvAttrs>(l.attrs)) {
                const bool relu_follows = is_relu(i + 1);
                x = conv(l, x, relu_follows);
                i += relu_follows;
            } else if (is_relu(i)) {
                x = relu(x);
            } else if (std::holds_alternative<kiln::PoolAttrs>(l.attrs)) {
                x = pool(l, x);
            } else if (std::holds_alternative<kiln::DenseAttrs>(l.attrs)) {
                x = dense(l, x);
            } else if (std::holds_alternative<kiln::SoftmaxAttrs>(l.attrs)) {
                x = softmax(x);
            } else if (std::holds_alternative<kiln::ConcatAttrs>(l.attrs)) {
                x = concat(l, x);
            } else if (!std::holds_alternative<kiln::DropoutAttrs>(l.attrs)) {
                throw std::invalid_argument(std::string("OneDnnNet: layer ") + l.path + " (" + l.kind() + ") is not built by the oneDNN peer");
            }
        }
        return x;
    }
};

OneDnnNet::OneDnnNet(const kiln::NetSpec& spec, int batch) : state_(std::make_unique<State>()) {
    State& s = *state_;
    s.batch = batch;
    memory input = s.filled(memory::desc(s.dims(spec.input), dt::f32, tag::nhwc));  // what kiln is given
    s.net_input = input.get_data_handle();
    s.sequence(spec.layers, input);
    // A user hands oneDNN its input once in the layout it wants; that first reorder is not timed.
    if (s.input_reordered) {
        auto& first = s.steps.front();
        first.first.execute(s.strm, first.second);
        s.strm.wait();
        s.steps.erase(s.steps.begin());
    }
}

OneDnnNet::~OneDnnNet() = default;

void OneDnnNet::run() {
    State& s = *state_;
    for (auto& [p, args] : s.steps) p.execute(s.strm, args);
    s.strm.wait();
}

}  // namespace bench

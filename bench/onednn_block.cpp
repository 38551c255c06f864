// See onednn_block.hpp.
#include "onednn_block.hpp"

#include <dnnl.hpp>
#include <random>
#include <stdexcept>

namespace bench {

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

struct OneDnnBlock::State {
    engine eng{engine::kind::cpu, 0};
    stream strm{eng};
    convolution_forward conv;
    pooling_forward pool;
    memory src, weights, bias, conv_dst, dst;
};

namespace {
memory filled(const memory::desc& md, const engine& eng, stream& s, const memory::desc& user_md) {
    memory user(user_md, eng);
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> u(-1, 1);
    float* p = static_cast<float*>(user.get_data_handle());
    for (std::size_t i = 0; i < user_md.get_size() / sizeof(float); ++i) p[i] = u(rng);
    if (md == user_md) return user;
    memory out(md, eng);
    reorder(user, out).execute(s, user, out);
    s.wait();
    return out;
}
}  // namespace

OneDnnBlock::OneDnnBlock(const kiln::NetSpec& spec, int batch) : state_(std::make_unique<State>()) {
    if (spec.layers.size() != 3) throw std::logic_error("OneDnnBlock: expects conv, relu, pool");
    const auto& c = std::get<kiln::ConvAttrs>(spec.layers[0].attrs);
    const auto& p = std::get<kiln::PoolAttrs>(spec.layers[2].attrs);
    const kiln::Shape in = spec.input, mid = spec.layers[0].out, out = spec.output;
    const kiln::Pads cr = c.rows(in), cc = c.cols(in), pr = p.rows(mid), pc = p.cols(mid);
    State& s = *state_;
    const memory::dim N = batch;
    const memory::dims src_dims{N, memory::dim(in.c), memory::dim(in.h), memory::dim(in.w)};
    const memory::dims w_dims{memory::dim(c.filters), memory::dim(in.c), memory::dim(c.kernel.h), memory::dim(c.kernel.w)};
    const memory::dims b_dims{memory::dim(c.filters)};
    const memory::dims mid_dims{N, memory::dim(mid.c), memory::dim(mid.h), memory::dim(mid.w)};
    const memory::dims out_dims{N, memory::dim(out.c), memory::dim(out.h), memory::dim(out.w)};

    convolution_forward::desc cd(prop_kind::forward_inference, algorithm::convolution_direct,
                                 memory::desc(src_dims, dt::f32, tag::any), memory::desc(w_dims, dt::f32, tag::any),
                                 memory::desc(b_dims, dt::f32, tag::x), memory::desc(mid_dims, dt::f32, tag::any),
                                 {memory::dim(c.stride.h), memory::dim(c.stride.w)},
                                 {memory::dim(cr.begin), memory::dim(cc.begin)}, {memory::dim(cr.end), memory::dim(cc.end)});
    post_ops ops;
    ops.append_eltwise(1.0f, algorithm::eltwise_relu, 0.0f, 0.0f);
    primitive_attr attr;
    attr.set_post_ops(ops);
    convolution_forward::primitive_desc cpd(cd, attr, s.eng);
    pooling_forward::desc pd(prop_kind::forward_inference, algorithm::pooling_max, cpd.dst_desc(),
                             memory::desc(out_dims, dt::f32, tag::any), {memory::dim(p.stride.h), memory::dim(p.stride.w)},
                             {memory::dim(p.window.h), memory::dim(p.window.w)}, {memory::dim(pr.begin), memory::dim(pc.begin)},
                             {memory::dim(pr.end), memory::dim(pc.end)});
    pooling_forward::primitive_desc ppd(pd, s.eng);

    s.src = filled(cpd.src_desc(), s.eng, s.strm, memory::desc(src_dims, dt::f32, tag::nhwc));
    s.weights = filled(cpd.weights_desc(), s.eng, s.strm, memory::desc(w_dims, dt::f32, tag::ohwi));
    s.bias = filled(cpd.bias_desc(), s.eng, s.strm, memory::desc(b_dims, dt::f32, tag::x));
    s.conv_dst = memory(cpd.dst_desc(), s.eng);
    s.dst = memory(ppd.dst_desc(), s.eng);
    s.conv = convolution_forward(cpd);
    s.pool = pooling_forward(ppd);
}

OneDnnBlock::~OneDnnBlock() = default;

void OneDnnBlock::run() {
    State& s = *state_;
    s.conv.execute(s.strm, {{DNNL_ARG_SRC, s.src}, {DNNL_ARG_WEIGHTS, s.weights}, {DNNL_ARG_BIAS, s.bias}, {DNNL_ARG_DST, s.conv_dst}});
    s.pool.execute(s.strm, {{DNNL_ARG_SRC, s.conv_dst}, {DNNL_ARG_DST, s.dst}});
    s.strm.wait();
}

}  // namespace bench

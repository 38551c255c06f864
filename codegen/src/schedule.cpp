// The schedule registry: name -> function.
#include "kiln/codegen/schedule.hpp"

#include "kiln/runtime/error.hpp"

namespace kiln::codegen {

namespace {
struct Entry {
    const char* name;
    void (*apply)(Lowered&, const Halide::Target&);
};
const Entry registry[] = {{"default", schedule_default}};
}  // namespace

std::vector<std::string> schedule_names() {
    std::vector<std::string> names;
    for (const auto& e : registry) names.push_back(e.name);
    return names;
}

void apply_schedule(Lowered& net, const std::string& name, const Halide::Target& target) {
    for (const auto& e : registry)
        if (name == e.name) return e.apply(net, target);
    std::string valid;
    for (const auto& n : schedule_names()) valid += (valid.empty() ? "" : ", ") + n;
    throw Error("unknown schedule '" + name + "'; valid schedules: " + valid);
}

}  // namespace kiln::codegen

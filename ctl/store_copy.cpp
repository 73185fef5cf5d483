#include "ctl/store_copy.hpp"

#include "common/database_address.hpp"
#include "common/json.hpp"
#include "ctl/backup.hpp"
#include "ctl/render.hpp"

namespace amq::ctl {

int run_store_copy(const Invocation& invocation) {
    std::string to = option_value(invocation, "--to").value_or("");
    if (to.empty()) return fail("store copy needs --to DATABASE|FILE", kUsage);
    if (looks_like_database_address(to)) return call_and_render(invocation, invocation.args_json);
    // A file: created here and passed, so "to" is not sent.
    auto args = parse_json(invocation.args_json);
    if (!args || !args->IsObject()) return fail("store copy: malformed arguments", kUsage);
    args->RemoveMember("to");
    return run_into_file(invocation, to, to_json(*args), "store copy", render_store_copy_file,
                         backup_json);
}

}  // namespace amq::ctl

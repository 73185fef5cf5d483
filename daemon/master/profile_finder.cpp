#include "daemon/master/profile_finder.hpp"

#include "common/available_models.hpp"
#include "common/log.hpp"

namespace amq {

void ProfileFinder::find(std::uint64_t account_id, std::function<void()> done) {
    auto before = store_.get_account(account_id);
    if (!before || before->kind != "idc" || !before->profile_arn.empty()) return done();
    api_.post(account_id, options_, "ListAvailableProfiles", std::string(kAvailableProfilesBody),
              [this, done](const Account& account, Result<ApiAnswer> answer) {
                  auto arns = answer ? parse_available_profiles(answer->status, answer->body)
                                     : Result<std::vector<std::string>>(answer.error());
                  if (!arns) {
                      log_info("account ", account.id,
                               ": no profile discovered: ", arns.error().message);
                  } else if (!arns->empty()) {
                      // Read again: the account may have changed while the call was out.
                      auto current = store_.get_account(account.id);
                      if (current && current->profile_arn.empty()) {
                          current->profile_arn = arns->front();
                          if (auto st = store_.update_account(*current, unix_seconds()); !st)
                              log_warning("account ", account.id,
                                          ": cannot store its profile: ", st.error().message);
                          else
                              log_info("account ", account.id, ": profile ", arns->front(),
                                       arns->size() > 1 ? " (the first of several)" : "");
                      }
                  }
                  done();
              });
}

}  // namespace amq

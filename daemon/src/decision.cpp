#include "fairwatch/daemon/decision.h"

namespace fairwatch::daemon {

const char* to_string(RejectReason reason) {
  switch (reason) {
    case RejectReason::not_json:
      return "not_json";
    case RejectReason::too_large:
      return "too_large";
    case RejectReason::missing_field:
      return "missing_field";
    case RejectReason::wrong_type:
      return "wrong_type";
    case RejectReason::bad_timestamp:
      return "bad_timestamp";
    case RejectReason::unmapped_decision:
      return "unmapped_decision";
    case RejectReason::bad_score:
      return "bad_score";
    case RejectReason::unknown_system:
      return "unknown_system";
    case RejectReason::unknown_stage:
      return "unknown_stage";
  }
  return "unknown";
}

}  // namespace fairwatch::daemon

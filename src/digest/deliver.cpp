// Sending the outbox.

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "core/dates.hpp"
#include "digest/digest.hpp"

namespace pb::digest {

namespace {

// Whether the message should still go out: confirmations to pending subscriptions, digests to
// confirmed ones; mail without a subscription always.
bool still_wanted(const OutboxMessage& m) {
  if (!m.subscription_id) return true;
  if (!m.subscription_state) return false;  // the subscription was removed
  if (m.kind == "confirm") return *m.subscription_state == SubscriptionState::kPending;
  return *m.subscription_state == SubscriptionState::kConfirmed;
}

}  // namespace

Result<DeliverSummary> deliver(Store& store, mail::Transport& transport, const MailSettings& m,
                               const DeliverOptions& options) {
  auto now = [&] { return options.clock ? options.clock() : dates::unix_now(); };
  DeliverSummary sum;
  const std::int64_t deadline =
      now() + static_cast<std::int64_t>(options.wait_seconds > 0 ? options.wait_seconds : 0);
  for (;;) {
    PB_ASSIGN_OR_RETURN(auto due, store.due_mail(now(), options.batch));
    for (auto& msg : due) {
      if (!still_wanted(msg)) {
        PB_RETURN_IF_ERROR(store.update_mail(msg.id, MailState::kCancelled, now(), 0,
                                             "the subscription is not active"));
        ++sum.cancelled;
        continue;
      }
      // Marked before the SMTP transaction: a run that dies mid-send leaves it "sending", and
      // the next run sends it again (the server never acknowledged it, but for the window
      // between its 250 and our commit).
      PB_RETURN_IF_ERROR(store.update_mail(msg.id, MailState::kSending, now(), 0, ""));
      const mail::SendResult r = transport.send(m.from.email, msg.recipient, msg.message);
      const std::int64_t t = now();
      const std::int64_t attempts = msg.attempts + 1;
      switch (r.outcome) {
        case mail::SendOutcome::kSent:
          PB_RETURN_IF_ERROR(store.update_mail(msg.id, MailState::kSent, t, 0, ""));
          ++sum.sent;
          break;
        case mail::SendOutcome::kTransient:
          if (attempts >= options.max_attempts) {
            PB_RETURN_IF_ERROR(store.update_mail(msg.id, MailState::kFailed, t, 0, r.error));
            ++sum.failed;
          } else {
            std::int64_t delay = options.retry_base_seconds;
            for (std::int64_t i = 1; i < attempts && delay < options.retry_max_seconds; ++i)
              delay *= 2;
            delay = std::min(delay, options.retry_max_seconds);
            PB_RETURN_IF_ERROR(
                store.update_mail(msg.id, MailState::kQueued, t, t + delay, r.error));
            ++sum.retried;
          }
          break;
        case mail::SendOutcome::kPermanent:
          if (msg.subscription_id)
            PB_RETURN_IF_ERROR(
                store.set_subscription_state(*msg.subscription_id, SubscriptionState::kBouncing));
          PB_RETURN_IF_ERROR(store.update_mail(msg.id, MailState::kBounced, t, 0, r.error));
          ++sum.bounced;
          break;
      }
      if (options.on_result) options.on_result(msg, r);
    }
    if (due.size() == options.batch) continue;
    // Wait for a retry that falls due before the deadline.
    PB_ASSIGN_OR_RETURN(auto next, store.next_mail_at());
    if (!next || *next > deadline) break;
    const std::int64_t wait = *next - now();
    if (wait > 0) std::this_thread::sleep_for(std::chrono::seconds(wait));
  }
  PB_ASSIGN_OR_RETURN(std::int64_t waiting, store.count_mail(MailState::kQueued));
  sum.waiting = static_cast<size_t>(waiting);
  return sum;
}

// Finished mail keeps its key and papers (idempotency, "never twice") but not its body.
Result<std::int64_t> prune_outbox(Store& store, std::int64_t now) {
  return store.prune_outbox(now - kKeepBodiesSeconds, now - kKeepRowsSeconds);
}

Result<std::optional<DeliveryLock>> DeliveryLock::try_acquire(const std::filesystem::path& dir) {
  const auto path = dir / "mail.lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return Error::io(fmt::format("cannot open {}: {}", path.string(), std::strerror(errno)));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) return std::optional<DeliveryLock>();
    return Error::io(fmt::format("cannot lock {}: {}", path.string(), std::strerror(err)));
  }
  return std::optional<DeliveryLock>(DeliveryLock(fd));
}

DeliveryLock::~DeliveryLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace pb::digest

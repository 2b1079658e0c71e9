//! Helpers of `handle` that write several events at once: failed-attempt counters and locks,
//! lifting an expired lock, ending sessions.

use chrono::{DateTime, Duration, Utc};
use cqrs_es::event_sink::EventSink;
use uuid::Uuid;

use super::*;

impl User {
    /// `changes` without the fields that already hold the given value.
    pub(super) fn effective_changes(&self, changes: ProfileChanges) -> ProfileChanges {
        ProfileChanges {
            first_name: changes.first_name.filter(|v| *v != self.first_name),
            last_name: changes.last_name.filter(|v| *v != self.last_name),
            phone: changes.phone.filter(|v| *v != self.phone),
            language: changes
                .language
                .filter(|v| Some(v) != self.language.as_ref()),
        }
    }

    pub(super) fn set_failures(&mut self, scope: LockScope, n: u32) {
        match scope {
            LockScope::Account => self.failed_attempts = n,
            LockScope::UntrustedDevices => self.untrusted_failed_attempts = n,
        }
    }

    /// Locks the user when `failed_attempts` on the counter of `scope` reached the limit; a lock
    /// of the whole user ends its sessions.
    pub(super) async fn lock_on_failures(
        &mut self,
        failed_attempts: u32,
        scope: LockScope,
        lockout: Lockout,
        now: DateTime<Utc>,
        sink: &EventSink<Self>,
    ) {
        if failed_attempts < u32::from(lockout.max_attempts) {
            return;
        }
        let until = lockout
            .lock_minutes
            .map(|m| now + Duration::minutes(i64::from(m)));
        sink.write(
            UserEvent::UserLocked {
                reason: LockReason::Policy,
                failed_attempts,
                until,
                scope,
            },
            self,
        )
        .await;
        if scope == LockScope::Account {
            self.end_all_sessions(SessionEndReason::Locked, sink).await;
        }
    }

    pub(super) async fn end_all_sessions(
        &mut self,
        reason: SessionEndReason,
        sink: &EventSink<Self>,
    ) {
        self.end_sessions(reason, None, sink).await;
    }

    /// Lifts a lock that has run out at `now` (`UserUnlocked { Expired }`), so the history says
    /// so before what follows.
    pub(super) async fn lift_expired_lock(&mut self, now: DateTime<Utc>, sink: &EventSink<Self>) {
        if self.lock_expired(now) {
            sink.write(
                UserEvent::UserUnlocked {
                    reason: UnlockReason::Expired,
                },
                self,
            )
            .await;
        }
    }

    /// Ends every session but `keep` (if any), in one `SessionsEnded`; nothing when none is left.
    pub(super) async fn end_sessions(
        &mut self,
        reason: SessionEndReason,
        keep: Option<Uuid>,
        sink: &EventSink<Self>,
    ) {
        let session_ids: Vec<Uuid> = self
            .sessions
            .keys()
            .copied()
            .filter(|id| Some(*id) != keep)
            .collect();
        if session_ids.is_empty() {
            return;
        }
        sink.write(
            UserEvent::SessionsEnded {
                session_ids,
                reason,
            },
            self,
        )
        .await;
    }
}

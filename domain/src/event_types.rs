//! The event types of each published aggregate as plain enums, one variant per event, named as
//! the event is named on the wire (`event_type`). The read side matches these exhaustively: a new
//! event that a view or the audit log does not handle is a compile error there, not a silent
//! "unknown" at run time. Each event enum maps its variants to these with an exhaustive match
//! (`kind`), so the two cannot drift apart.

/// Declares `$types`, the fieldless enum of `$event`'s variants, and `$event::kind`.
macro_rules! event_types {
    ($(#[$meta:meta])* $types:ident for $event:ident { $($variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $types {
            $($variant),+
        }

        impl $types {
            /// Every event type, in declaration order.
            pub const ALL: &'static [$types] = &[$($types::$variant),+];

            /// The name on the wire (`event_type`).
            pub fn name(self) -> &'static str {
                match self {
                    $($types::$variant => stringify!($variant)),+
                }
            }

            /// The type named `name`, if it is one of these.
            pub fn parse(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|t| t.name() == name)
            }
        }

        impl $event {
            /// This event's type.
            pub fn kind(&self) -> $types {
                match self {
                    $($event::$variant { .. } => $types::$variant),+
                }
            }
        }
    };
}

pub(crate) use event_types;

//! chronid's read side: pure event -> view logic for the user view, teams and the audit log, and
//! the query types. It reads only the public envelopes of the stream (`chronid_domain::public`)
//! and knows nothing of NATS or SQL. Built by the "read side" issue; empty until then.

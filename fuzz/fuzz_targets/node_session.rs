//! A `Node` driven through arbitrary sessions (connections, messages, ticks, mining):
//! no panic, no action for a gone connection, deadlines in the future, bounds kept.
#![no_main]

#[path = "../checks/session.rs"]
mod session;

#[path = "../checks/node_session.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    checks::check(data);
});

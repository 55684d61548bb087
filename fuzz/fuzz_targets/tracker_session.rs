//! A `Tracker` driven through arbitrary sessions (connections, registrations, any
//! message, ticks): no panic, no action for a gone connection, deadlines in the
//! future, caps kept.
#![no_main]

#[path = "../checks/session.rs"]
mod session;

#[path = "../checks/tracker_session.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    checks::check(data);
});

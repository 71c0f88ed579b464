//! Fuzz target `reference_toml`: the same entry point the service uses for this input
//! (`kyoyu_forms::fuzz_entry::reference_toml`), which must never panic, whatever the bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    kyoyu_forms::fuzz_entry::reference_toml(data);
});

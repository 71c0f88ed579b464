//! Fuzz target `advisory_form_json`: the same entry point the service uses for this input
//! (`kyoyu_forms::fuzz_entry::advisory_form_json`), which must never panic, whatever the bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    kyoyu_forms::fuzz_entry::advisory_form_json(data);
});

//! Fuzz target `report_xlsx`: the same entry point the service uses for this input
//! (`kyoyu_forms::fuzz_entry::report_xlsx`), which must never panic, whatever the bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    kyoyu_forms::fuzz_entry::report_xlsx(data);
});

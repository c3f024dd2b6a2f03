//! The importer's checks, document text to checked plan: no input may panic, and the
//! checks stay linear in the text (libFuzzer's `-timeout` catches one that is not).

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let found = communique::import::check_document(Path::new("fuzz.json"), text, None);
    // Every fault names the file and a JSON path.
    for rejection in &found.shown {
        assert!(
            rejection.path.starts_with('$'),
            "a rejection without a JSON path: {rejection}"
        );
    }
});

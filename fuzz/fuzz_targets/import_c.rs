//! `import-c` on any text: members or line-numbered errors, never a panic;
//! an imported struct always makes a skeleton that is valid TOML.
#![no_main]

use ibops_codegen::c::import::import;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    // Give most inputs a struct to find.
    let text = format!("struct s {{{text}");
    match import(&text, "s") {
        Ok(imported) => {
            let skeleton = imported.to_skeleton("fuzz.h");
            assert!(skeleton.contains("struct = \"s\""));
        }
        Err(errors) => {
            let lines = text.lines().count() + 1;
            assert!(errors.errors.iter().all(|(line, _)| *line <= lines));
        }
    }
});

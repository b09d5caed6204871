//! `ops.toml` against the seed patch that introduced `struct ib_device_ops`:
//! the same 86 ops in the same order, and the kernel's 17 mandatory ops.

use ibops::{OPS, OpId};

/// The op names of the seed's `struct ib_device_ops`, in order, read from
/// the patch text (mail quoting and diff `+` stripped).
fn seed_op_names() -> Vec<String> {
    let patch = include_str!("../../../shared/seeds/000_d0a910357091c73c.txt");
    let body: Vec<&str> = patch
        .lines()
        .filter_map(|l| l.strip_prefix("> > +"))
        .skip_while(|l| !l.starts_with("struct ib_device_ops {"))
        .take_while(|l| *l != "};")
        .collect();
    let text = body.join("\n");
    // A member's name is the `(*name)` at parenthesis depth 0; deeper ones
    // are function-pointer parameters such as `void (*setup)(...)`.
    let mut names = Vec::new();
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '(' if depth == 0 && text[i..].starts_with("(*") => {
                let rest = &text[i + 2..];
                if let Some(end) = rest.find(')') {
                    names.push(rest[..end].to_owned());
                }
                depth += 1;
            }
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    names
}

#[test]
fn schema_has_the_seeds_ops_in_order() {
    let seed = seed_op_names();
    assert_eq!(seed.len(), 86, "{seed:?}");
    let ours: Vec<&str> = OPS.iter().map(|info| info.name).collect();
    assert_eq!(ours, seed);
}

#[test]
fn mandatory_ops_are_the_kernels_17() {
    let mut mandatory: Vec<&str> = OpId::MANDATORY.iter().map(|op| op.name()).collect();
    mandatory.sort_unstable();
    let mut expected = vec![
        "query_device",
        "query_port",
        "alloc_pd",
        "dealloc_pd",
        "create_qp",
        "modify_qp",
        "destroy_qp",
        "post_send",
        "post_recv",
        "create_cq",
        "destroy_cq",
        "poll_cq",
        "req_notify_cq",
        "get_dma_mr",
        "reg_user_mr",
        "dereg_mr",
        "get_port_immutable",
    ];
    expected.sort_unstable();
    assert_eq!(mandatory, expected);
    assert!(
        OPS.iter()
            .all(|info| info.mandatory == OpId::MANDATORY.contains(&info.id))
    );
}

#[test]
fn every_op_has_a_c_prototype_naming_it() {
    for info in &OPS {
        assert!(
            info.c.contains(&format!("(*{})(", info.name)),
            "{}: {}",
            info.name,
            info.c
        );
        assert!(!info.doc.is_empty());
    }
}

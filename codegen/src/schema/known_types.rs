//! The Rust types an op's signature may name: what `ibops::prelude` (which
//! the generated code imports) exports, and the language's own. A type
//! outside both would generate code that does not compile; the schema
//! loader refuses it first, at its `ops.toml` line and column, with a
//! "did you mean". `tests/tests/known_types.rs` reads the prelude's exports
//! from the runtime's code and fails when this list and the code differ.

/// Every type `ibops::prelude` exports, sorted.
pub const IBOPS_TYPES: &[&str] = &[
    "AccessFlags",
    "AdviseFlags",
    "Ah",
    "AhAttr",
    "AhData",
    "AhKind",
    "Arc",
    "AsyncEvent",
    "AtomicCap",
    "AttrBundle",
    "Attribute",
    "AttributeGroup",
    "Buffer",
    "CmId",
    "CompletionChannel",
    "CounterMode",
    "Counters",
    "CountersKind",
    "CountersReadAttr",
    "CpuMask",
    "Cq",
    "CqData",
    "CqInfo",
    "CqInitAttr",
    "CqKind",
    "CqNotifyFlags",
    "Created",
    "Device",
    "DeviceAttr",
    "DeviceBuilder",
    "DeviceCapFlags",
    "DeviceModify",
    "DeviceModifyMask",
    "Dm",
    "DmAllocAttr",
    "DmKind",
    "DmMrAttr",
    "DmabufFd",
    "Dmah",
    "DmahAttr",
    "DmahKind",
    "DriverId",
    "Error",
    "EventHandlerId",
    "EventSender",
    "Flow",
    "FlowAction",
    "FlowActionKind",
    "FlowAttr",
    "FlowData",
    "FlowKind",
    "FlowSpec",
    "Gid",
    "GidAttr",
    "GidType",
    "GlobalRoute",
    "Grh",
    "HwStats",
    "IbDeviceOps",
    "IwCmId",
    "IwConnParam",
    "LinkLayer",
    "Mad",
    "MadFlags",
    "MadResponse",
    "MergeConflict",
    "MmapEntry",
    "MmapPfns",
    "Mr",
    "MrAdvice",
    "MrCheckMask",
    "MrData",
    "MrKeys",
    "MrKind",
    "MrStatus",
    "MrType",
    "Mtu",
    "Mw",
    "MwData",
    "MwInfo",
    "MwKind",
    "MwType",
    "NetDev",
    "NetdevEvent",
    "NoData",
    "ObjSize",
    "Object",
    "ObjectKind",
    "OpId",
    "Owner",
    "P2pProvider",
    "Pd",
    "PdKind",
    "PhysRange",
    "PortAttr",
    "PortCapFlags",
    "PortImmutable",
    "PortModify",
    "PortModifyMask",
    "PortSpace",
    "PortState",
    "Private",
    "ProvideOps",
    "Qp",
    "QpAttr",
    "QpAttrMask",
    "QpCap",
    "QpData",
    "QpInfo",
    "QpInitAttr",
    "QpKind",
    "QpQuery",
    "QpState",
    "QpType",
    "RcEndpoint",
    "RcPath",
    "RdmaCounter",
    "RdmaCounterData",
    "RdmaCounterKind",
    "RdmaNetdevAllocParams",
    "RdmaNetdevType",
    "RecvWr",
    "Registry",
    "ReregFlags",
    "ResMessage",
    "ResValue",
    "RwqIndTable",
    "RwqIndTableInitAttr",
    "RwqIndTableKind",
    "ScatterEntry",
    "SendFlags",
    "SendWr",
    "Sge",
    "Sges",
    "Srq",
    "SrqAttr",
    "SrqAttrMask",
    "SrqData",
    "SrqInitAttr",
    "SrqKind",
    "SubDeviceType",
    "Ucontext",
    "UcontextKind",
    "Udata",
    "UserMemory",
    "UverbsFile",
    "VfGuidType",
    "VfGuids",
    "VfInfo",
    "VfLinkState",
    "VfStats",
    "VmArea",
    "WcFlags",
    "WcOpcode",
    "WcStatus",
    "WorkCompletion",
    "Wq",
    "WqAttr",
    "WqAttrMask",
    "WqData",
    "WqInitAttr",
    "WqKind",
    "WqState",
    "WqType",
    "WrError",
    "WrOpcode",
    "Xrcd",
    "XrcdKind",
];

/// The language's types and the standard library's that the generated code
/// names without an import (its prelude's).
pub const LANGUAGE_TYPES: &[&str] = &[
    "bool", "char", "str", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64",
    "i128", "isize", "f32", "f64", "String", "Option", "Result", "Vec", "Box",
];

/// Whether an op's signature may name the type `name` unqualified.
pub fn is_known(name: &str) -> bool {
    IBOPS_TYPES.binary_search(&name).is_ok() || LANGUAGE_TYPES.contains(&name)
}

/// Every known type name, for suggestions.
pub fn all() -> impl Iterator<Item = &'static str> {
    IBOPS_TYPES.iter().chain(LANGUAGE_TYPES).copied()
}

/// The names `ty` uses that are not known, in order of appearance, each
/// once. A path of several segments (`core::time::Duration`) names its
/// type fully and is taken as it is.
pub fn unknown_in(ty: &syn::Type) -> Vec<String> {
    let mut found = Vec::new();
    walk(ty, &mut found);
    found
}

fn walk(ty: &syn::Type, found: &mut Vec<String>) {
    match ty {
        syn::Type::Path(p) => {
            if let Some(q) = &p.qself {
                walk(&q.ty, found);
            }
            if p.qself.is_none() && p.path.leading_colon.is_none() && p.path.segments.len() == 1 {
                let name = p.path.segments[0].ident.to_string();
                if !is_known(&name) && !found.contains(&name) {
                    found.push(name);
                }
            }
            for segment in &p.path.segments {
                arguments(&segment.arguments, found);
            }
        }
        syn::Type::Reference(r) => walk(&r.elem, found),
        syn::Type::Slice(s) => walk(&s.elem, found),
        syn::Type::Array(a) => walk(&a.elem, found),
        syn::Type::Ptr(p) => walk(&p.elem, found),
        syn::Type::Paren(p) => walk(&p.elem, found),
        syn::Type::Group(g) => walk(&g.elem, found),
        syn::Type::Tuple(t) => t.elems.iter().for_each(|e| walk(e, found)),
        syn::Type::FnPtr(f) => {
            f.inputs.iter().for_each(|a| walk(&a.ty, found));
            output(&f.output, found);
        }
        _ => {}
    }
}

fn output(ret: &syn::ReturnType, found: &mut Vec<String>) {
    if let syn::ReturnType::Type(_, out) = ret {
        walk(out, found);
    }
}

fn arguments(args: &syn::PathArguments, found: &mut Vec<String>) {
    match args {
        syn::PathArguments::AngleBracketed(a) => {
            for arg in &a.args {
                if let syn::GenericArgument::Type(t) = arg {
                    walk(t, found);
                }
            }
        }
        syn::PathArguments::Parenthesized(p) => {
            p.inputs.iter().for_each(|a| walk(&a.ty, found));
            output(&p.output, found);
        }
        syn::PathArguments::None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unknown(text: &str) -> Vec<String> {
        unknown_in(&syn::parse_str(text).expect("a type"))
    }

    #[test]
    fn the_list_is_sorted_for_its_search() {
        assert!(IBOPS_TYPES.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn names_inside_generics_references_and_fn_pointers_are_checked() {
        assert_eq!(
            unknown("Result<Option<Arc<Qp>>, Error>"),
            Vec::<String>::new()
        );
        assert_eq!(unknown("Result<FecMode, Error>"), ["FecMode"]);
        assert_eq!(unknown("&[(Sge, Nope)]"), ["Nope"]);
        assert_eq!(unknown("fn(&mut NetDev) -> Bad"), ["Bad"]);
        assert_eq!(unknown("core::time::Duration"), Vec::<String>::new());
    }
}

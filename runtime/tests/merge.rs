//! Properties of the generated `IbDeviceOps::merge`: `EMPTY` is an identity,
//! merge is idempotent, the merged op set is the union, keep-first holds for
//! ops, and each member follows its declared policy.

use ibops::prelude::*;
use proptest::prelude::*;

#[path = "support/every_op.rs"]
mod every_op;

use every_op::{addresses, foldable, full_table};

/// A table with the ops of `mask` (bit `i`: `OpId::ALL[i]`) from `full`, and the given members.
fn table(full: IbDeviceOps, mask: u128, members: (DriverId, u32, bool)) -> IbDeviceOps {
    let mut t = full;
    t.retain(|op| mask & (1 << (op as u32)) != 0);
    t.driver_id = members.0;
    t.uverbs_abi_ver = members.1;
    t.uverbs_no_driver_id_binding = members.2;
    t
}

fn driver_id() -> impl Strategy<Value = DriverId> {
    prop_oneof![
        Just(DriverId::Unknown),
        Just(DriverId::Soft),
        Just(DriverId::Mlx5)
    ]
}

fn members() -> impl Strategy<Value = (DriverId, u32, bool)> {
    (driver_id(), prop_oneof![Just(0u32), 1u32..8], any::<bool>())
}

fn tables() -> impl Strategy<Value = (IbDeviceOps, IbDeviceOps)> {
    (any::<u128>(), members(), any::<u128>(), members()).prop_map(|(ma, a, mb, b)| {
        (
            table(full_table::<false>(), ma, a),
            table(full_table::<true>(), mb, b),
        )
    })
}

/// The same ops (by address) and the same members: the table's generated
/// `Debug` shows every member of the schema, so no member is left out of
/// the comparison by a hand-kept list.
fn same(x: &IbDeviceOps, y: &IbDeviceOps) -> bool {
    addresses(x) == addresses(y) && format!("{x:?}") == format!("{y:?}")
}

#[test]
fn the_two_full_tables_differ_in_every_op_that_returns_a_value() {
    // The hand-written list of every op is the schema's: each op set once,
    // none missing (a new op fails here until the list has it).
    assert_eq!(addresses(&full_table::<false>()).len(), OpId::ALL.len());
    assert_eq!(full_table::<false>().implemented().count(), OpId::ALL.len());
    assert_eq!(full_table::<false>().missing_mandatory().count(), 0);
    let differing = addresses(&full_table::<false>())
        .iter()
        .zip(addresses(&full_table::<true>()))
        .filter(|(a, b)| **a != *b)
        .count();
    // Ops whose two bodies are identical (they return `()` or `None`) may be
    // folded by an optimiser; every other op must differ.
    assert!(differing >= OpId::ALL.len() - foldable(), "{differing}");
}

proptest! {
    #[test]
    fn empty_is_an_identity_on_both_sides((a, _) in tables()) {
        let mut left = IbDeviceOps::EMPTY;
        left.merge(&a).expect("merge into empty");
        prop_assert!(same(&left, &a));
        let mut right = a;
        right.merge(&IbDeviceOps::EMPTY).expect("merge of empty");
        prop_assert!(same(&right, &a));
    }

    #[test]
    fn merge_is_idempotent((a, _) in tables()) {
        let mut twice = a;
        twice.merge(&a).expect("self merge");
        prop_assert!(same(&twice, &a));
    }

    #[test]
    fn ops_are_the_union_and_the_first_table_wins((a, b) in tables()) {
        let mut merged = a;
        match merged.merge(&b) {
            Err(conflict) => {
                prop_assert_eq!(conflict.member, "driver_id");
                prop_assert!(a.driver_id != DriverId::Unknown && b.driver_id != DriverId::Unknown);
                prop_assert_ne!(a.driver_id, b.driver_id);
                prop_assert_eq!(&conflict.current, &format!("{:?}", a.driver_id));
                prop_assert_eq!(&conflict.incoming, &format!("{:?}", b.driver_id));
                prop_assert!(same(&merged, &a), "a failed merge changed the table");
            }
            Ok(()) => {
                let union: Vec<OpId> = OpId::ALL
                    .into_iter()
                    .filter(|&op| a.is_set(op) || b.is_set(op))
                    .collect();
                prop_assert_eq!(merged.implemented().collect::<Vec<_>>(), union);
                let (m, aa, bb) = (addresses(&merged), addresses(&a), addresses(&b));
                for i in 0..m.len() {
                    prop_assert_eq!(m[i], aa[i].or(bb[i]), "op {}", OpId::ALL[i]);
                }
                let expected_id = if a.driver_id == DriverId::Unknown { b.driver_id } else { a.driver_id };
                prop_assert_eq!(merged.driver_id, expected_id);
                let expected_abi = if b.uverbs_abi_ver != 0 { b.uverbs_abi_ver } else { a.uverbs_abi_ver };
                prop_assert_eq!(merged.uverbs_abi_ver, expected_abi);
                prop_assert_eq!(
                    merged.uverbs_no_driver_id_binding,
                    a.uverbs_no_driver_id_binding || b.uverbs_no_driver_id_binding
                );
            }
        }
    }
}

#[test]
fn a_second_different_owner_is_a_conflict() {
    let mut a = IbDeviceOps::EMPTY;
    a.owner = Owner::new("mlx5_ib");
    let mut b = IbDeviceOps::EMPTY;
    b.owner = Owner::new("rxe");
    let err = a.merge(&b).expect_err("owners differ");
    assert_eq!(err.member, "owner");
    assert!(
        err.to_string().contains("mlx5_ib") && err.to_string().contains("rxe"),
        "{err}"
    );
    assert_eq!(a.owner, Owner::new("mlx5_ib"));
    let mut same_owner = IbDeviceOps::EMPTY;
    same_owner.owner = Owner::new("mlx5_ib");
    a.merge(&same_owner).expect("same owner merges");
}

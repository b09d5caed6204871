//! Object sizes: the kernel's `DECLARE_RDMA_OBJ_SIZE(ib_qp)` tells the core
//! how large a driver's object embedding `struct ib_qp` is, so the core
//! allocates it. In Rust the provider's state is its own value
//! ([`Private`]); the same member names that state's type, and the core
//! checks every object a provider creates against it.

use core::any::{Any, TypeId, type_name};
use core::fmt;
use core::mem::{align_of, size_of};

use crate::private::Private;

/// The type of a provider's state for one kind of object, with its size
/// and alignment (what `size_ib_qp` records in C).
#[derive(Clone, Copy)]
pub struct ObjSize {
    size: usize,
    align: usize,
    type_id: fn() -> TypeId,
    type_name: fn() -> &'static str,
    declared_by: Option<&'static str>,
}

impl ObjSize {
    /// The object size of `T`: what `#[device_ops(obj_size(qp = T))]` sets.
    pub const fn of<T: Any + Send + Sync>() -> ObjSize {
        ObjSize {
            size: size_of::<T>(),
            align: align_of::<T>(),
            type_id: TypeId::of::<T>,
            type_name: type_name::<T>,
            declared_by: None,
        }
    }

    /// As [`of`](Self::of), remembering the attribute that declared it
    /// (the derive passes `#[device_ops(obj_size(qp = T))] at FILE:LINE`),
    /// which the error of a mismatched state names.
    pub const fn declared<T: Any + Send + Sync>(by: &'static str) -> ObjSize {
        ObjSize {
            declared_by: Some(by),
            ..ObjSize::of::<T>()
        }
    }

    /// The attribute that declared it, if the derive did.
    pub const fn declared_by(&self) -> Option<&'static str> {
        self.declared_by
    }

    /// The state's size in bytes.
    pub const fn size(&self) -> usize {
        self.size
    }

    /// The state's alignment in bytes.
    pub const fn align(&self) -> usize {
        self.align
    }

    /// The state type's name.
    pub fn type_name(&self) -> &'static str {
        (self.type_name)()
    }

    /// Whether `private` holds a value of this type.
    pub fn describes(&self, private: &Private) -> bool {
        private.type_id() == (self.type_id)()
    }
}

/// Two object sizes are equal when they name the same type.
impl PartialEq for ObjSize {
    fn eq(&self, other: &Self) -> bool {
        (self.type_id)() == (other.type_id)()
    }
}

impl Eq for ObjSize {}

impl fmt::Debug for ObjSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ObjSize<{}>({} bytes, align {})",
            self.type_name(),
            self.size,
            self.align
        )
    }
}

#[cfg(test)]
mod tests {
    use super::ObjSize;
    use crate::private::Private;

    #[test]
    fn names_describes_and_compares_by_type() {
        struct MyQp {
            _qpn: u32,
            _state: [u64; 3],
        }
        let size = ObjSize::of::<MyQp>();
        assert_eq!((size.size(), size.align()), (32, 8));
        assert!(size.type_name().ends_with("MyQp"), "{}", size.type_name());
        assert!(size.describes(&Private::new(MyQp {
            _qpn: 1,
            _state: [0; 3]
        })));
        assert!(!size.describes(&Private::new(7u32)));
        assert_eq!(size, ObjSize::of::<MyQp>());
        assert_ne!(size, ObjSize::of::<u32>());
    }
}

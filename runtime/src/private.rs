//! Provider state attached to objects: the typed, checked stand-in for C's
//! `container_of`.

use core::any::{Any, TypeId, type_name};
use core::fmt;

use crate::error::{Error, Result};

/// A provider's private state for one object, created by the provider's
/// create op and reachable from its other ops with a checked downcast.
pub struct Private {
    value: Box<dyn Any + Send + Sync>,
    type_name: &'static str,
}

impl Private {
    /// Wraps the provider's state.
    pub fn new<T: Any + Send + Sync>(value: T) -> Self {
        Private {
            value: Box::new(value),
            type_name: type_name::<T>(),
        }
    }

    /// The state as a `T`, if it is one.
    pub fn downcast_ref<T: Any>(&self) -> Option<&T> {
        self.value.downcast_ref()
    }

    /// The state as a `T`, for the object kind `object` (named in the error).
    ///
    /// # Errors
    /// [`Error::WrongPrivate`] when the state is of another type.
    pub fn get<T: Any>(&self, object: &'static str) -> Result<&T> {
        // `ok_or_else`: the error is built (and dropped) only on a mismatch,
        // not on every verb that reaches its object's state.
        self.downcast_ref().ok_or_else(|| Error::WrongPrivate {
            object,
            expected: type_name::<T>(),
            found: self.type_name,
            declared_by: None,
        })
    }

    /// The [`TypeId`] of the wrapped type.
    pub fn type_id(&self) -> TypeId {
        // The boxed value's own type, not the box's.
        (*self.value).type_id()
    }

    /// The name of the wrapped type.
    pub fn type_name(&self) -> &'static str {
        self.type_name
    }
}

impl fmt::Debug for Private {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Private<{}>", self.type_name)
    }
}

/// What a create op returns: what the provider reports about the new object
/// (its number, keys or actual size) and its private state.
#[derive(Debug)]
pub struct Created<I> {
    /// Provider-reported facts of the object.
    pub info: I,
    /// The provider's state for the object.
    pub private: Private,
    /// The provider's number for the object (a CQ's or SRQ's number),
    /// which its asynchronous events name; see [`numbered`](Self::numbered).
    pub num: Option<u32>,
}

impl<I> Created<I> {
    /// An object described by `info` with the provider state `private`.
    pub fn new(info: I, private: impl Any + Send + Sync) -> Self {
        Created {
            info,
            private: Private::new(private),
            num: None,
        }
    }

    /// The same, with the provider's number for the object.
    pub fn numbered(mut self, num: u32) -> Self {
        self.num = Some(num);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downcast_checks_the_type() {
        let p = Private::new(7u32);
        assert_eq!(p.downcast_ref::<u32>(), Some(&7));
        assert_eq!(p.downcast_ref::<u64>(), None);
        assert_eq!(p.type_name(), "u32");
    }
}

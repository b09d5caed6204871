//! The registry of registered devices, by name and by index, the way
//! `ibv_get_device_list` and `ib_device_get_by_name` see them.

use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::device::{Device, DeviceBuilder};
use crate::error::{Error, Result};

/// Registered devices. [`Registry::global`] is the process-wide one; tests
/// and embedders can keep their own.
#[derive(Debug, Default)]
pub struct Registry {
    entries: RwLock<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    devices: Vec<(u32, Device)>,
    next_index: u32,
}

static GLOBAL: Registry = Registry::new();

impl Registry {
    /// An empty registry.
    pub const fn new() -> Registry {
        Registry {
            entries: RwLock::new(Entries {
                devices: Vec::new(),
                next_index: 1,
            }),
        }
    }

    /// The process-wide registry.
    pub fn global() -> &'static Registry {
        &GLOBAL
    }

    /// Adds `device` and returns its index (1, 2, ...; never reused).
    ///
    /// # Errors
    /// [`Error::AlreadyExists`] when a device of the same name is registered;
    /// [`Error::LimitExceeded`] after 2^32 - 1 registrations (indexes are
    /// never reused).
    pub fn add(&self, device: Device) -> Result<u32> {
        let mut entries = self.write();
        if entries
            .devices
            .iter()
            .any(|(_, d)| d.name() == device.name())
        {
            return Err(Error::AlreadyExists(device.name().to_owned()));
        }
        let index = entries.next_index;
        entries.next_index = index.checked_add(1).ok_or(Error::LimitExceeded {
            what: "device indexes",
            requested: u64::from(index) + 1,
            limit: u64::from(u32::MAX),
        })?;
        entries.devices.push((index, device));
        Ok(index)
    }

    /// Removes the device called `name` and returns it. Its objects keep it
    /// alive until they are gone; it just cannot be found any more.
    ///
    /// # Errors
    /// [`Error::NotFound`] when no device has that name.
    pub fn remove(&self, name: &str) -> Result<Device> {
        let mut entries = self.write();
        let at = entries
            .devices
            .iter()
            .position(|(_, d)| d.name() == name)
            .ok_or_else(|| Error::NotFound(format!("device `{name}`")))?;
        Ok(entries.devices.remove(at).1)
    }

    /// Every registered device with its index, in registration order.
    pub fn devices(&self) -> Vec<(u32, Device)> {
        self.read().devices.clone()
    }

    /// The device called `name`.
    pub fn by_name(&self, name: &str) -> Option<Device> {
        self.read()
            .devices
            .iter()
            .find(|(_, d)| d.name() == name)
            .map(|(_, d)| d.clone())
    }

    /// The device with index `index`.
    pub fn by_index(&self, index: u32) -> Option<Device> {
        self.read()
            .devices
            .iter()
            .find(|(i, _)| *i == index)
            .map(|(_, d)| d.clone())
    }

    /// How many devices are registered.
    pub fn len(&self) -> usize {
        self.read().devices.len()
    }

    /// Whether no device is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn read(&self) -> RwLockReadGuard<'_, Entries> {
        self.entries.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Entries> {
        self.entries.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Registration into a registry lives with the registry: a device knows
/// nothing of registries.
impl DeviceBuilder {
    /// [`register`](Self::register)s the device and adds it to `registry`.
    ///
    /// # Errors
    /// As `register`, or [`Error::AlreadyExists`] when the registry has a
    /// device of the same name.
    pub fn register_in(self, registry: &Registry) -> Result<Device> {
        let device = self.register()?;
        registry.add(device.clone())?;
        Ok(device)
    }
}

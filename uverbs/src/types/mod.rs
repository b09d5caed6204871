//! The concepts only userspace has, one file each; everything else a
//! userspace op names is `ibops`'s.

mod buf;
mod clock;
mod comp_cntr;
mod counters;
mod cq_moderation;
mod ece;
mod esp;
mod mr_init;
mod mw_bind;
mod parent_domain;
mod qp_open;
mod rate_limit;
mod srq_ops;
mod td;
mod xrcd;

pub use buf::Buf;
pub use clock::ClockValues;
pub use comp_cntr::{CompCntr, CompCntrAttachAttr, CompCntrCaps, CompCntrInitAttr, CompCntrKind};
pub use counters::{CounterAttachAttr, CounterDescription};
pub use cq_moderation::CqModeration;
pub use ece::Ece;
pub use esp::{EspAttr, EspKeymat, EspReplay};
pub use mr_init::{MrInitAttr, MrSource};
pub use mw_bind::MwBind;
pub use parent_domain::ParentDomainInitAttr;
pub use qp_open::QpOpenAttr;
pub use rate_limit::QpRateLimitAttr;
pub use srq_ops::{SrqOpsWr, SrqTagOp};
pub use td::{Td, TdInitAttr};
pub use xrcd::XrcdInitAttr;

//! The reference provider `ibops_soft`, driven through the verbs API only:
//! registration, queries and limits, object lifetimes, the QP state
//! machine, every operation of the data path, posting rules, completion
//! statuses, CQs, SRQs, and many threads at once.

mod common;

mod cq;
mod datapath;
mod device;
mod errors;
mod events;
mod flush_race;
mod objects;
mod qp_state;
mod srq;
mod stale;
mod stress;
// Real UDP sockets on loopback: not under Miri, which has no sockets.
#[cfg(not(miri))]
mod faults;
#[cfg(not(miri))]
mod relay;
#[cfg(not(miri))]
mod roce;
#[cfg(not(miri))]
mod roce_rc;
mod ud;

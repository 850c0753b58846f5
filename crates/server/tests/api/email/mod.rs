//! Email, end to end over real sockets: the outbox worker's delivery ([`delivery`]), the booking emails each flow
//! produces ([`flows`]), what each kind looks like ([`rendered`]) and that each of their links opens a page ([`links`]), organizations' own senders in the worker
//! ([`routing`]) and their API ([`senders`]). All of them stand on [`crate::helpers::email::EmailRig`].

mod delivery;
mod flows;
mod links;
mod rendered;
mod routing;
mod senders;

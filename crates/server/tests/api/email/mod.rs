//! Email, end to end over real sockets: the outbox worker's delivery ([`delivery`]), the booking emails each flow
//! produces ([`flows`]) and what each kind looks like ([`rendered`]), organizations' own senders in the worker
//! ([`routing`]) and their API ([`senders`]). All of them stand on [`crate::helpers::email::EmailRig`].

mod delivery;
mod flows;
mod rendered;
mod routing;
mod senders;

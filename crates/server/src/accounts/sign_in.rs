//! Password sign-in, with the limits that make guessing slow without letting a stranger lock the owner out.
//!
//! Two allowances are spent before a password is checked (so concurrent guesses can't slip past): one per
//! client address, against trying a few passwords on many accounts ("spraying"), and one per account *and*
//! address, against guessing one account's password. A successful sign-in gives the first back and restores
//! the second, so only failures count. A stranger who exhausts their allowance for an account is refused from
//! their own address; the owner, signing in from theirs, never shares it.

use crate::credentials::verify_password_async;
use crate::limits::{ClientAddress, LimitError, LimitKey, Limited, Limits, PublicOperation};
use convene_core::EmailAddress;
use convene_store::users::{self, UserRecord};
use convene_store::{Db, StoreError};

/// Why a sign-in did not happen.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Wrong password, no such account, or not an email address at all: the caller can't tell which.
    #[error("incorrect email or password")]
    Incorrect,
    /// Too many failures from this client address, whatever the accounts.
    #[error("too many failed sign-ins from this address")]
    AddressLimited(Limited),
    /// Too many failures for this account from this client address.
    #[error("too many failed sign-ins to this account from this address")]
    AccountLimited(Limited),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks `password` for the account with `email` (as typed) from `client`.
pub async fn sign_in(
    db: &Db,
    limits: &Limits,
    client: ClientAddress,
    email: &str,
    password: String,
) -> Result<UserRecord, SignInError> {
    let from_address = LimitKey::Public {
        operation: PublicOperation::SignIn,
        client,
    };
    limits.take(from_address.clone()).await.map_err(address_limited)?;
    // Not an address: no account can match, and nothing typed here becomes another limit's key.
    let Ok(account) = EmailAddress::parse("email", email) else {
        return Err(SignInError::Incorrect);
    };
    let for_account = LimitKey::SignInFailures {
        account: account.clone(),
        client,
    };
    limits.take(for_account.clone()).await.map_err(account_limited)?;

    let user = users::find_by_email(db, account.as_str()).await?;
    let stored_hash = user.as_ref().and_then(|u| u.password_hash.clone());
    // The same work whether or not the account exists, so timing reveals nothing.
    let valid = verify_password_async(password, stored_hash).await;
    match user {
        Some(user) if valid => {
            limits.give_back(&from_address).await.map_err(store_only)?;
            limits.forget(&for_account).await.map_err(store_only)?;
            Ok(user)
        }
        _ => Err(SignInError::Incorrect),
    }
}

fn address_limited(e: LimitError) -> SignInError {
    match e {
        LimitError::Limited(limited) => SignInError::AddressLimited(limited),
        LimitError::Store(store) => SignInError::Store(store),
    }
}

fn account_limited(e: LimitError) -> SignInError {
    match e {
        LimitError::Limited(limited) => SignInError::AccountLimited(limited),
        LimitError::Store(store) => SignInError::Store(store),
    }
}

fn store_only(e: LimitError) -> SignInError {
    match e {
        LimitError::Store(store) => SignInError::Store(store),
        // Giving back and forgetting never refuse.
        LimitError::Limited(limited) => SignInError::AccountLimited(limited),
    }
}

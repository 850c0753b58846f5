//! Seated bookings as the API shows them (`CreateSeatedBookingOutput_2024_08_13`, `GetSeatedBookingOutput_2024_08_13`):
//! the booking's shape with its attendees as seats (`seatUid`, each seat's own `bookingFieldsResponses`), and,
//! for the seat just taken, its `seatUid`. A caller who is not the host sees the other seats only when the event
//! type shows attendees (`showAttendeeInfo`); the seat they name is always theirs to see.

use super::output::output;
use crate::api::ApiError;
use crate::api::dto::metadata_value;
use convene_store::bookings::{self, BookingRecord};
use convene_store::{Db, event_types};
use serde_json::{Value, json};

/// Whether `booking` belongs to a seated event type.
pub(super) async fn is_seated(db: &Db, booking: &BookingRecord) -> Result<bool, ApiError> {
    let Some(id) = booking.event_type_id else {
        return Ok(false);
    };
    Ok(event_types::find(db, id)
        .await?
        .is_some_and(|e| e.seats_per_time_slot.is_some()))
}

/// The seated shape of `booking`. `seat_uid`: the caller's own seat (shown as `seatUid`, and shown whatever the
/// event type's `showAttendeeInfo`); `host_view`: every seat is shown.
pub(super) async fn seated_output(
    db: &Db,
    booking: &BookingRecord,
    seat_uid: Option<&str>,
    host_view: bool,
) -> Result<Value, ApiError> {
    let out = output(db, booking).await?;
    let show_all = host_view
        || match booking.event_type_id {
            Some(id) => event_types::find(db, id).await?.is_some_and(|e| e.seats_show_attendees),
            None => false,
        };
    let seats: Vec<Value> = bookings::attendees(db, &[booking.id])
        .await?
        .into_iter()
        .filter(|a| !a.is_guest)
        .filter_map(|a| {
            let uid = a.seat_uid.clone()?;
            (show_all || seat_uid == Some(uid.as_str())).then(|| {
                let mut seat = json!({
                    "name": a.name,
                    "email": a.email,
                    "timeZone": a.time_zone,
                    "language": a.language,
                    "absent": a.absent,
                    "seatUid": uid,
                    "bookingFieldsResponses": metadata_value(a.seat_responses.as_deref().unwrap_or("{}")),
                });
                if let Some(phone) = a.phone {
                    seat["phoneNumber"] = Value::String(phone);
                }
                seat
            })
        })
        .collect();
    let mut value = serde_json::to_value(out).map_err(|e| ApiError::Internal(e.into()))?;
    if let Some(map) = value.as_object_mut() {
        map.remove("bookingFieldsResponses");
        map.remove("guests");
        map.insert("attendees".into(), Value::Array(seats));
        if let Some(uid) = seat_uid {
            map.insert("seatUid".into(), Value::String(uid.to_owned()));
        }
    }
    Ok(value)
}

//! Opaque global ids: the record type and its database id, base64-encoded.
//!
//! Clients treat them as opaque strings; the type prefix lets `node(id:)` find the table.

use async_graphql::ID;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::error::AppError;

/// The global id of a record of `type_name` with database id `id`.
pub fn encode(type_name: &str, id: i64) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{type_name}:{id}")))
}

/// The type name and database id inside a global id given as `argument`.
pub fn decode(argument: &'static str, id: &str) -> Result<(String, i64), AppError> {
    let malformed = || AppError::bad_input(argument, format!("`{id}` is not a valid id"));
    let bytes = URL_SAFE_NO_PAD.decode(id).map_err(|_| malformed())?;
    let text = String::from_utf8(bytes).map_err(|_| malformed())?;
    let (type_name, number) = text.split_once(':').ok_or_else(malformed)?;
    let number = number.parse::<i64>().map_err(|_| malformed())?;
    Ok((type_name.to_owned(), number))
}

#[cfg(test)]
mod tests {
    use super::{decode, encode};

    #[test]
    fn ids_round_trip() {
        let id = encode("Actor", 42);
        assert_eq!(decode("id", &id).unwrap(), ("Actor".to_owned(), 42));
    }

    #[test]
    fn malformed_ids_name_the_argument() {
        let error = decode("id", "not base64!").unwrap_err();
        assert_eq!(error.code(), "BAD_USER_INPUT");
        let no_number = base64::Engine::encode(&super::URL_SAFE_NO_PAD, "Actor:x");
        assert_eq!(
            decode("ids", &no_number).unwrap_err().code(),
            "BAD_USER_INPUT"
        );
    }
}

//! Reading a JSON body as serde_json reads a `Value`, except that a struct is read only from
//! an object. serde's derive also accepts an array for a struct (`"location": [51.5, 7.6]`
//! becomes `{lat, lon}`), which the contract refuses: where the schema says object, anything
//! else is a 422 naming the field. Wrapping the reader here covers every body type at once.

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Unexpected, Visitor};
use serde::forward_to_deserialize_any;
use serde_json::Value;

pub struct Strict<'a>(pub &'a Value);

fn unexpected(value: &Value) -> Unexpected<'_> {
    match value {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(_) => Unexpected::Other("number"),
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

impl<'de> Deserializer<'de> for Strict<'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Array(items) => visitor.visit_seq(Items(items.iter())),
            Value::Object(fields) => visitor.visit_map(Fields {
                fields: fields.iter(),
                value: None,
            }),
            // JSON Schema counts a number with a zero fraction (`310.0`, `1e2`) as an
            // integer, and so do the clients generated from the document; serde's integer
            // fields would refuse it.
            Value::Number(number) => match number.as_f64() {
                Some(x) if number.is_f64() && x.fract() == 0.0 && x.abs() < 9.0e15 => {
                    visitor.visit_i64(x as i64)
                }
                _ => self.0.deserialize_any(visitor),
            },
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Object(_) => self.deserialize_any(visitor),
            other => Err(de::Error::invalid_type(unexpected(other), &visitor)),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_enum(name, variants, visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_unit()
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map identifier
    }
}

struct Items<'a>(std::slice::Iter<'a, Value>);

impl<'de> SeqAccess<'de> for Items<'de> {
    type Error = serde_json::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Self::Error> {
        self.0
            .next()
            .map(|item| seed.deserialize(Strict(item)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct Fields<'a> {
    fields: serde_json::map::Iter<'a>,
    value: Option<&'a Value>,
}

impl<'de> MapAccess<'de> for Fields<'de> {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        match self.fields.next() {
            Some((key, value)) => {
                self.value = Some(value);
                seed.deserialize(BorrowedStrDeserializer::new(key))
                    .map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        match self.value.take() {
            Some(value) => seed.deserialize(Strict(value)),
            None => Err(de::Error::custom("a value without its field")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.fields.len())
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Point {
        lat: f64,
        lon: f64,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Place {
        name: String,
        location: Option<Point>,
        tags: Vec<String>,
    }

    #[test]
    fn a_number_without_fraction_is_an_integer_as_json_schema_says() {
        #[derive(Debug, Deserialize, PartialEq)]
        struct Count {
            n: u32,
            x: f64,
        }
        let read = |value: Value| Count::deserialize(Strict(&value)).map_err(|e| e.to_string());
        assert_eq!(
            read(json!({"n": 310.0, "x": 2.0})),
            Ok(Count { n: 310, x: 2.0 })
        );
        assert_eq!(
            read(json!({"n": 310, "x": 2.5})),
            Ok(Count { n: 310, x: 2.5 })
        );
        assert!(read(json!({"n": 310.5, "x": 1})).is_err());
        assert!(read(json!({"n": -1.0, "x": 1})).is_err());
        assert!(read(json!({"n": 1e20, "x": 1})).is_err());
    }

    #[test]
    fn a_struct_is_read_only_from_an_object() {
        let ok = json!({"name": "Unna", "location": {"lat": 51.5, "lon": 7.6}, "tags": ["a"]});
        let place = Place::deserialize(Strict(&ok)).map_err(|e| e.to_string());
        assert_eq!(
            place.map(|p| p.location),
            Ok(Some(Point {
                lat: 51.5,
                lon: 7.6
            }))
        );
        let array = json!({"name": "Unna", "location": [51.5, 7.6], "tags": []});
        let refused = Place::deserialize(Strict(&array))
            .map(|_| ())
            .map_err(|e| e.to_string());
        assert_eq!(
            refused,
            Err("invalid type: sequence, expected struct Point".to_owned())
        );
        assert!(Place::deserialize(Strict(&json!([1, 2, 3]))).is_err());
    }
}

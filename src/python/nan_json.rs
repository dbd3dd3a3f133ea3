//! JSON for Python's `json.loads` with non-finite numbers kept: `NaN`, `Infinity` and
//! `-Infinity` tokens (which Python reads as floats) where serde_json writes `null`, so NaN
//! and inf reach Python as float, never as `None` (issue 16 item 9). `to_json()` stays the
//! standard serde JSON.

use std::cell::Cell;
use std::fmt::Display;
use std::io;

use serde::ser::{self, Serialize, Serializer};

thread_local! {
    /// The token the formatter writes instead of the next `null`.
    static PENDING: Cell<Option<&'static str>> = const { Cell::new(None) };
}

/// serde_json's compact formatter, writing a pending non-finite token for a `null`.
struct Formatter;

impl serde_json::ser::Formatter for Formatter {
    fn write_null<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(PENDING.with(|p| p.take()).unwrap_or("null").as_bytes())
    }
}

/// `value` as JSON with non-finite floats as `NaN`/`Infinity`/`-Infinity`.
pub(crate) fn to_string<T: Serialize>(value: &T) -> serde_json::Result<String> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, Formatter);
    Wrap(value).serialize(&mut ser)?;
    Ok(String::from_utf8(out).unwrap_or_default())
}

/// A value whose floats are written through [`Nan`].
struct Wrap<'a, T: ?Sized>(&'a T);

impl<T: ?Sized + Serialize> Serialize for Wrap<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(Nan(s))
    }
}

/// A serializer that hands everything to `S`, non-finite floats as a pending token.
struct Nan<S>(S);

fn non_finite<S: Serializer>(s: S, v: f64) -> Result<S::Ok, S::Error> {
    if v.is_finite() {
        return s.serialize_f64(v);
    }
    let token = if v.is_nan() {
        "NaN"
    } else if v > 0.0 {
        "Infinity"
    } else {
        "-Infinity"
    };
    PENDING.with(|p| p.set(Some(token)));
    s.serialize_unit()
}

macro_rules! forward {
    ($($m:ident($t:ty)),*) => {
        $(fn $m(self, v: $t) -> Result<S::Ok, S::Error> { self.0.$m(v) })*
    };
}

impl<S: Serializer> Serializer for Nan<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Nan<S::SerializeSeq>;
    type SerializeTuple = Nan<S::SerializeTuple>;
    type SerializeTupleStruct = Nan<S::SerializeTupleStruct>;
    type SerializeTupleVariant = Nan<S::SerializeTupleVariant>;
    type SerializeMap = Nan<S::SerializeMap>;
    type SerializeStruct = Nan<S::SerializeStruct>;
    type SerializeStructVariant = Nan<S::SerializeStructVariant>;

    forward!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_i128(i128),
        serialize_u128(u128)
    );

    fn serialize_f32(self, v: f32) -> Result<S::Ok, S::Error> {
        non_finite(self.0, f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<S::Ok, S::Error> {
        non_finite(self.0, v)
    }
    fn serialize_none(self) -> Result<S::Ok, S::Error> {
        self.0.serialize_none()
    }
    fn serialize_some<T: ?Sized + Serialize>(self, v: &T) -> Result<S::Ok, S::Error> {
        self.0.serialize_some(&Wrap(v))
    }
    fn serialize_unit(self) -> Result<S::Ok, S::Error> {
        self.0.serialize_unit()
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<S::Ok, S::Error> {
        self.0.serialize_unit_struct(name)
    }
    fn serialize_unit_variant(self, n: &'static str, i: u32, v: &'static str) -> Result<S::Ok, S::Error> {
        self.0.serialize_unit_variant(n, i, v)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, n: &'static str, v: &T) -> Result<S::Ok, S::Error> {
        self.0.serialize_newtype_struct(n, &Wrap(v))
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        n: &'static str,
        i: u32,
        var: &'static str,
        v: &T,
    ) -> Result<S::Ok, S::Error> {
        self.0.serialize_newtype_variant(n, i, var, &Wrap(v))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        self.0.serialize_seq(len).map(Nan)
    }
    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, S::Error> {
        self.0.serialize_tuple(len).map(Nan)
    }
    fn serialize_tuple_struct(self, n: &'static str, len: usize) -> Result<Self::SerializeTupleStruct, S::Error> {
        self.0.serialize_tuple_struct(n, len).map(Nan)
    }
    fn serialize_tuple_variant(
        self,
        n: &'static str,
        i: u32,
        v: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        self.0.serialize_tuple_variant(n, i, v, len).map(Nan)
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        self.0.serialize_map(len).map(Nan)
    }
    fn serialize_struct(self, n: &'static str, len: usize) -> Result<Self::SerializeStruct, S::Error> {
        self.0.serialize_struct(n, len).map(Nan)
    }
    fn serialize_struct_variant(
        self,
        n: &'static str,
        i: u32,
        v: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        self.0.serialize_struct_variant(n, i, v, len).map(Nan)
    }
    fn collect_str<T: ?Sized + Display>(self, v: &T) -> Result<S::Ok, S::Error> {
        self.0.collect_str(v)
    }
    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

macro_rules! compound {
    ($tr:ident, $m:ident) => {
        impl<S: ser::$tr> ser::$tr for Nan<S> {
            type Ok = S::Ok;
            type Error = S::Error;
            fn $m<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), S::Error> {
                self.0.$m(&Wrap(v))
            }
            fn end(self) -> Result<S::Ok, S::Error> {
                self.0.end()
            }
        }
    };
}
compound!(SerializeSeq, serialize_element);
compound!(SerializeTuple, serialize_element);
compound!(SerializeTupleStruct, serialize_field);
compound!(SerializeTupleVariant, serialize_field);

macro_rules! keyed {
    ($tr:ident) => {
        impl<S: ser::$tr> ser::$tr for Nan<S> {
            type Ok = S::Ok;
            type Error = S::Error;
            fn serialize_field<T: ?Sized + Serialize>(&mut self, k: &'static str, v: &T) -> Result<(), S::Error> {
                self.0.serialize_field(k, &Wrap(v))
            }
            fn skip_field(&mut self, k: &'static str) -> Result<(), S::Error> {
                self.0.skip_field(k)
            }
            fn end(self) -> Result<S::Ok, S::Error> {
                self.0.end()
            }
        }
    };
}
keyed!(SerializeStruct);
keyed!(SerializeStructVariant);

impl<S: ser::SerializeMap> ser::SerializeMap for Nan<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, k: &T) -> Result<(), S::Error> {
        self.0.serialize_key(&Wrap(k))
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), S::Error> {
        self.0.serialize_value(&Wrap(v))
    }
    fn end(self) -> Result<S::Ok, S::Error> {
        self.0.end()
    }
}

#[cfg(test)]
mod tests {
    #[derive(serde::Serialize)]
    struct R {
        a: f64,
        b: Option<f64>,
        c: Vec<(String, f64)>,
        d: Option<f64>,
    }

    #[test]
    fn non_finite_numbers_become_tokens_and_none_stays_null() {
        let r = R {
            a: f64::NAN,
            b: None,
            c: vec![("x".into(), f64::INFINITY), ("y".into(), 1.5)],
            d: Some(-f64::INFINITY),
        };
        let s = super::to_string(&r).unwrap();
        assert_eq!(s, r#"{"a":NaN,"b":null,"c":[["x",Infinity],["y",1.5]],"d":-Infinity}"#);
    }
}

//! Closed sets of stored words (statuses, kinds, workflow words): each is an enum with `ALL` and `as_str`, stored
//! as its word and read back by sqlx through `TryFrom<String>` (`#[sqlx(try_from = "String")]`). A word this
//! version does not know is an [`UnknownWord`] naming the set, so a bad row is a decode error of its column.

use std::fmt;

/// A word outside one of these sets, and which set it was read as (`booking status`, `workflow trigger`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownWord {
    pub of: &'static str,
    pub word: String,
}

impl fmt::Display for UnknownWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} {:?}", self.of, self.word)
    }
}

impl std::error::Error for UnknownWord {}

/// For a type with `ALL` and `as_str`: `Display`, comparison with a word, and reading back from its word
/// (`FromStr`, and `TryFrom<String>` for the store).
macro_rules! word_impls {
    ($name:ident, $of:literal) => {
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, word: &&str) -> bool {
                self.as_str() == *word
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::words::UnknownWord;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::ALL
                    .into_iter()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| $crate::words::UnknownWord {
                        of: $of,
                        word: s.to_owned(),
                    })
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::words::UnknownWord;

            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }
    };
}

/// A closed set of words: the enum (with the attributes given, then `Debug, Clone, Copy, PartialEq, Eq, Hash`),
/// `ALL` in the order written, `as_str`, and [`word_impls`].
macro_rules! words {
    ($(#[$attr:meta])* $name:ident, $of:literal, { $($(#[$vattr:meta])* $variant:ident => $word:literal,)+ }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $(#[$attr])*
        pub enum $name {
            $($(#[$vattr])* $variant,)+
        }

        impl $name {
            pub const ALL: [$name; [$($word,)+].len()] = [$($name::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word,)+
                }
            }
        }

        $crate::words::word_impls!($name, $of);
    };
}

pub(crate) use {word_impls, words};

/// What every set's unit test checks.
#[cfg(test)]
pub(crate) mod testing {
    use super::UnknownWord;
    use std::fmt;
    use std::str::FromStr;

    /// Each value reads back from its word, compares equal to it, and a word of no value is refused by the set's
    /// name.
    pub(crate) fn round_trips<T>(all: &[T], of: &str)
    where
        T: Copy
            + fmt::Debug
            + PartialEq
            + fmt::Display
            + FromStr<Err = UnknownWord>
            + TryFrom<String, Error = UnknownWord>,
        T: for<'a> PartialEq<&'a str>,
    {
        let mut words = std::collections::HashSet::new();
        for value in all {
            let word = value.to_string();
            assert_eq!(word.parse::<T>(), Ok(*value));
            assert_eq!(T::try_from(word.clone()), Ok(*value));
            assert!(*value == word.as_str());
            assert!(words.insert(word), "{value} twice");
        }
        let refused = "nonsense".parse::<T>().expect_err("not a word of the set");
        assert_eq!(refused.of, of);
        assert_eq!(refused.to_string(), format!("unknown {of} \"nonsense\""));
        assert!("".parse::<T>().is_err());
    }
}

#[cfg(test)]
mod tests {
    use super::testing::round_trips;

    words! {
        /// A set only this test uses.
        Fruit, "fruit", {
            Apple => "apple",
            /// With a doc comment.
            Pear => "pear",
        }
    }

    #[test]
    fn a_set_reads_back_its_own_words_only_and_names_itself_in_the_refusal() {
        assert_eq!(Fruit::ALL, [Fruit::Apple, Fruit::Pear]);
        round_trips(&Fruit::ALL, "fruit");
        let refused = "Apple".parse::<Fruit>().expect_err("case matters");
        assert_eq!(refused.to_string(), r#"unknown fruit "Apple""#);
        assert!(Fruit::Pear != "apple");
    }
}

//! Which ESP's DDI is booted when several ESPs hold one.
//!
//! The ESP the loader (or UKI) was started from, `LoaderDevicePartUUID`, is the one whose
//! DDI matches the command line that was signed with it. ESPs are examined as disks
//! appear, several per disk, in table order; the image found on another ESP is kept as
//! the fallback while the loader's ESP has not been seen, and taken once the loader's
//! turns out not to hold the image (or when the wait for disks ends). Without a known
//! loader ESP the first ESP holding the image is taken.

use crate::format::guid::Guid;

/// Where the search stands; `T` is what was found (the image's location).
pub enum Search<T> {
    /// Nothing found yet, and the loader's ESP (if there is one) not seen.
    Looking,
    /// The loader's ESP was seen and does not hold the image: the next ESP that does is
    /// taken.
    LoaderEspLacksImage,
    /// Found on another ESP while the loader's has not been seen.
    Fallback(T),
    /// Found on the loader's ESP, or anywhere when no loader ESP is known: final.
    Found(T),
}

/// What to do with an ESP that holds the image.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Take {
    /// Take it: the search is over.
    Final,
    /// Keep it as the fallback, and look on.
    Fallback,
    /// A fallback is already kept (the first one stays): look on.
    Leave,
}

impl<T> Search<T> {
    /// What to do with the ESP `esp` that holds the image, the loader's ESP being
    /// `loader` (if known).
    pub fn take(&self, loader: Option<Guid>, esp: Guid) -> Take {
        match self {
            _ if loader.is_none() || loader == Some(esp) => Take::Final,
            Search::LoaderEspLacksImage => Take::Final,
            Search::Looking => Take::Fallback,
            Search::Fallback(_) | Search::Found(_) => Take::Leave,
        }
    }

    /// Records what [`take`](Self::take) said to do with `found`.
    pub fn record(&mut self, take: Take, found: T) {
        *self = match take {
            Take::Final => Search::Found(found),
            Take::Fallback => Search::Fallback(found),
            Take::Leave => return,
        };
    }

    /// Records that the ESP `esp` does not hold the image (or cannot be read).
    pub fn lacks_image(&mut self, loader: Option<Guid>, esp: Guid) {
        if loader != Some(esp) {
            return;
        }
        *self = match core::mem::replace(self, Search::Looking) {
            Search::Fallback(f) | Search::Found(f) => Search::Found(f),
            Search::Looking | Search::LoaderEspLacksImage => Search::LoaderEspLacksImage,
        };
    }

    /// Is the search over?
    pub fn is_final(&self) -> bool {
        matches!(self, Search::Found(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Guid = Guid([0xa; 16]);
    const B: Guid = Guid([0xb; 16]);
    const C: Guid = Guid([0xc; 16]);

    /// ESPs examined in order, each with the image (`Some(name)`) or without it.
    fn run(loader: Option<Guid>, esps: &[(Guid, Option<&'static str>)]) -> Search<&'static str> {
        let mut s = Search::Looking;
        for &(esp, found) in esps {
            assert!(!s.is_final(), "examined an ESP after the search was over");
            match found {
                Some(f) => {
                    let t = s.take(loader, esp);
                    s.record(t, f);
                }
                None => s.lacks_image(loader, esp),
            }
            if s.is_final() {
                break;
            }
        }
        s
    }

    fn found(s: &Search<&'static str>) -> Option<&'static str> {
        match s {
            Search::Found(f) => Some(f),
            _ => None,
        }
    }

    fn fallback(s: &Search<&'static str>) -> Option<&'static str> {
        match s {
            Search::Fallback(f) => Some(f),
            _ => None,
        }
    }

    #[test]
    fn the_loaders_esp_second_on_the_disk_wins() {
        let s = run(Some(B), &[(A, Some("a")), (B, Some("b"))]);
        assert_eq!(found(&s), Some("b"));
    }

    #[test]
    fn without_a_loader_the_first_esp_holding_it_wins() {
        let s = run(None, &[(A, None), (B, Some("b")), (C, Some("c"))]);
        assert_eq!(found(&s), Some("b"));
    }

    #[test]
    fn the_fallback_is_taken_once_the_loaders_esp_lacks_the_image() {
        let s = run(Some(C), &[(A, Some("a")), (B, Some("b")), (C, None)]);
        assert_eq!(found(&s), Some("a"));
        // The loader's ESP first, without the image: the next one holding it is final.
        let s = run(Some(A), &[(A, None), (B, None), (C, Some("c"))]);
        assert_eq!(found(&s), Some("c"));
    }

    #[test]
    fn the_fallback_waits_while_the_loaders_esp_is_not_seen() {
        let s = run(Some(C), &[(A, Some("a")), (B, Some("b"))]);
        assert_eq!(fallback(&s), Some("a"));
        assert!(!s.is_final());
        let s = run(Some(C), &[(A, None), (B, None)]);
        assert!(matches!(s, Search::Looking));
    }
}

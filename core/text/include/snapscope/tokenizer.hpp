// Words from text (theory.md section 4: the paper tokenises WikiText-2 with torchtext's basic_english).
//
// basic_english, as torchtext defines it: the line is lower-cased, then
//   '  ->  " '  "   (split off as a word of its own)      "  ->  removed
//   . , ( ) ! ?  ->  split off as words of their own      <br />  ->  a space
//   ; :  ->  a space                                      and the result is split at white space.
// Lower-casing covers ASCII, Latin-1's letters (U+00C0-U+00DE but the multiplication sign), Greek (U+0391-U+03A9)
// and Cyrillic (U+0400-U+042F); other characters are kept as they are (Python's str.lower() knows more of Unicode).
// White space is ASCII's (space, \t, \n, \v, \f, \r).
//
// WikiText (the raw and the tokenised releases): text is already split at spaces, headings are lines "= Title =",
// "== Section ==", hyphens, thousands separators and decimal points inside words are written " @-@ ", " @,@ ",
// " @.@ ", and the tokenised release writes rare words as <unk>.
//   - TextFormat::WikiText (the paper's setting, what torchtext's WikiText2 + basic_english give): every line through
//     basic_english, so "=" and "@-@" are words; "<unk>" is the vocabulary's unknown word.
//   - TextFormat::WikiTextJoined: heading markers dropped (the title's words kept), "a @-@ b" joined to the one word
//     "a-b" (likewise "1 @,@ 000" -> "1,000", "3 @.@ 5" -> "3.5"), every other word through basic_english.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace snapscope {

enum class TextFormat { Plain, WikiText, WikiTextJoined };

// "plain", "wikitext", "wikitext-joined".
const char* text_format_name(TextFormat f);

// Byte offset of the first byte of `s` that does not start a well-formed UTF-8 character (a stray continuation
// byte, a truncated sequence, an overlong form, a surrogate or a code point above U+10FFFF), or npos.
std::size_t invalid_utf8_offset(std::string_view s);

// Offset of the first byte of `s` that text does not contain (a C0 control character other than \t \n \v \f \r and
// ESC, or DEL), or npos. (A NUL is one.)
std::size_t binary_byte_offset(std::string_view s);

// Appends the words of `line` as basic_english makes them.
void basic_english(std::string_view line, std::vector<std::string>& out);

// Appends the words of one line of a text in format `f`.
void tokenize_line(std::string_view line, TextFormat f, std::vector<std::string>& out);

// Whether a line is a WikiText heading ("= Title =", "= = Section = =", with any spaces around).
bool is_wikitext_heading(std::string_view line);

}  // namespace snapscope

#include "snapscope/tokenizer.hpp"

#include <cstdint>

namespace snapscope {

const char* text_format_name(TextFormat f) {
    switch (f) {
        case TextFormat::Plain: return "plain";
        case TextFormat::WikiText: return "wikitext";
        case TextFormat::WikiTextJoined: return "wikitext-joined";
    }
    return "?";
}

std::size_t invalid_utf8_offset(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n) {
        const unsigned char c = p[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        int len;
        std::uint32_t cp, min;
        if (c >= 0xC2 && c <= 0xDF) len = 2, cp = c & 0x1F, min = 0x80;
        else if (c >= 0xE0 && c <= 0xEF) len = 3, cp = c & 0x0F, min = 0x800;
        else if (c >= 0xF0 && c <= 0xF4) len = 4, cp = c & 0x07, min = 0x10000;
        else return i;  // a continuation byte, C0/C1 (overlong two-byte forms) or F5..FF
        if (i + static_cast<std::size_t>(len) > n) return i;
        for (int k = 1; k < len; ++k) {
            const unsigned char cc = p[i + static_cast<std::size_t>(k)];
            if ((cc & 0xC0) != 0x80) return i;
            cp = (cp << 6) | (cc & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
        i += static_cast<std::size_t>(len);
    }
    return std::string_view::npos;
}

std::size_t binary_byte_offset(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\v' && c != '\f' && c != '\r' && c != 0x1B) || c == 0x7F) return i;
    }
    return std::string_view::npos;
}

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

// Lower-cases `s` (see the header for which letters) and drops '"' (basic_english's first two rules that change
// characters rather than split: doing the quote's removal first is equivalent, since no later rule matches a '"').
void lower_without_quotes(std::string_view s, std::string& out) {
    out.clear();
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if (c == '"') continue;
        if (c >= 'A' && c <= 'Z') {
            out.push_back(static_cast<char>(c + 32));
            continue;
        }
        if ((c == 0xC3 || c == 0xCE || c == 0xD0) && i + 1 < s.size()) {
            const unsigned char d = static_cast<unsigned char>(s[i + 1]);
            const std::uint32_t cp = (static_cast<std::uint32_t>(c & 0x1F) << 6) | (d & 0x3F);
            std::uint32_t lo = cp;
            if ((d & 0xC0) == 0x80) {
                if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) lo = cp + 0x20;       // Latin-1 letters
                else if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) lo = cp + 0x20;  // Greek capitals
                else if (cp >= 0x410 && cp <= 0x42F) lo = cp + 0x20;                // Cyrillic А-Я
                else if (cp >= 0x400 && cp <= 0x40F) lo = cp + 0x50;                // Cyrillic Ѐ-Џ
            }
            if (lo != cp) {
                out.push_back(static_cast<char>(0xC0 | (lo >> 6)));
                out.push_back(static_cast<char>(0x80 | (lo & 0x3F)));
                ++i;
                continue;
            }
        }
        out.push_back(static_cast<char>(c));
    }
}

}  // namespace

void basic_english(std::string_view line, std::vector<std::string>& out) {
    thread_local std::string low;
    lower_without_quotes(line, low);
    std::string word;
    auto flush = [&] {
        if (!word.empty()) out.push_back(std::move(word));
        word.clear();
    };
    for (std::size_t i = 0; i < low.size(); ++i) {
        const char c = low[i];
        if (c == '<' && low.compare(i, 6, "<br />") == 0) {
            flush();
            i += 5;
            continue;
        }
        switch (c) {
            case '\'': case '.': case ',': case '(': case ')': case '!': case '?':
                flush();
                out.emplace_back(1, c);
                break;
            case ';': case ':':
                flush();
                break;
            default:
                if (is_space(c)) flush();
                else word.push_back(c);
        }
    }
    flush();
}

bool is_wikitext_heading(std::string_view line) {
    std::size_t a = 0, b = line.size();
    while (a < b && is_space(line[a])) ++a;
    while (b > a && is_space(line[b - 1])) --b;
    if (b - a < 3 || line[a] != '=' || line[b - 1] != '=') return false;
    // Something other than '=' and spaces between the markers.
    for (std::size_t i = a; i < b; ++i)
        if (line[i] != '=' && !is_space(line[i])) return true;
    return false;
}

void tokenize_line(std::string_view line, TextFormat f, std::vector<std::string>& out) {
    if (f != TextFormat::WikiTextJoined) {
        basic_english(line, out);
        return;
    }
    // Split at spaces (WikiText is written pre-split), drop heading markers, join "x @-@ y".
    std::vector<std::string_view> parts;
    for (std::size_t i = 0; i < line.size();) {
        while (i < line.size() && is_space(line[i])) ++i;
        const std::size_t j = i;
        while (i < line.size() && !is_space(line[i])) ++i;
        if (i > j) parts.push_back(line.substr(j, i - j));
    }
    const bool heading = is_wikitext_heading(line);
    auto joiner = [](std::string_view p) { return p == "@-@" || p == "@,@" || p == "@.@"; };
    std::vector<std::string> words;
    for (std::size_t k = 0; k < parts.size(); ++k) {
        if (heading && parts[k].find_first_not_of('=') == std::string_view::npos) continue;
        // A run "a @-@ b @-@ c" is one word; its pieces lower-cased as basic_english does.
        if (k + 2 < parts.size() && joiner(parts[k + 1]) && !joiner(parts[k])) {
            std::string joined;
            std::size_t e = k;
            std::string low;
            lower_without_quotes(parts[k], low);
            joined += low;
            while (e + 2 < parts.size() && joiner(parts[e + 1]) && !joiner(parts[e + 2])) {
                joined += parts[e + 1][1];
                lower_without_quotes(parts[e + 2], low);
                joined += low;
                e += 2;
            }
            if (!joined.empty()) out.push_back(std::move(joined));
            k = e;
            continue;
        }
        if (joiner(parts[k])) {
            out.emplace_back(1, parts[k][1]);  // a joiner with nothing to join on one side: its character
            continue;
        }
        basic_english(parts[k], out);
    }
}

}  // namespace snapscope

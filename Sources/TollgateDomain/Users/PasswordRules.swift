/// What a password must be: at least ``minimumLength`` characters, at most ``maximumBytes`` bytes
/// (bcrypt reads no further), not one of the most common passwords, and not built from the user's
/// own email or name.
///
/// The common-password check is a short list written here plus the patterns those lists are made
/// of (one repeated character, a keyboard or digit run, a common word padded with digits): with
/// 12 characters required, the top of the published lists is already refused by its length, and
/// a list of millions would not fit in the binary.
public enum PasswordRules {
    public static let minimumLength = 12
    public static let maximumBytes = 72

    /// Why `password` is refused, as a sentence for the form; `nil` when it may be used.
    public static func problem(with password: String, email: String, name: String) -> String? {
        if password.count < minimumLength { return "The password must be at least \(minimumLength) characters." }
        if password.utf8.count > maximumBytes { return "The password must be at most \(maximumBytes) bytes." }
        let lowered = password.lowercased()
        if Set(lowered).count <= 2 { return "The password repeats one or two characters; choose a less guessable one." }
        if isRun(lowered) { return "The password is a run of keys or digits; choose a less guessable one." }
        let letters = String(lowered.filter(\.isLetter))
        if common.contains(lowered) || (letters.count >= 4 && common.contains(letters) && lowered.count - letters.count <= 8) {
            return "The password is one of the most common passwords; choose another."
        }
        let local = email.lowercased().split(separator: "@").first.map(String.init) ?? ""
        if local.count >= 4, lowered.contains(local) { return "The password must not contain your email address." }
        let names = name.lowercased().split(whereSeparator: { !$0.isLetter }).filter { $0.count >= 4 }
        if names.contains(where: { lowered.contains($0) }) { return "The password must not contain your name." }
        return nil
    }

    /// Whether the text follows a keyboard row or the digits, forwards or backwards, all the way.
    private static func isRun(_ text: String) -> Bool {
        let rows = ["1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "abcdefghijklmnopqrstuvwxyz", "1q2w3e4r5t6y7u8i9o0p"]
        let characters = Array(text)
        return rows.contains { row in
            let line = Array(row + row)
            let back = Array(String(row.reversed()) + String(row.reversed()))
            return [line, back].contains { sequence in
                guard let start = sequence.firstIndex(of: characters[0]) else { return false }
                return characters.indices.allSatisfy { start + $0 < sequence.count && sequence[start + $0] == characters[$0] }
            }
        }
    }

    /// Words and phrases at the top of published password lists, letters only (digits and
    /// punctuation around them are stripped before the comparison).
    static let common: Set<String> = [
        "password", "passw", "passwd", "qwerty", "qwertyuiop", "letmein", "welcome", "admin", "administrator", "iloveyou", "monkey", "dragon",
        "football", "baseball", "sunshine", "princess", "master", "shadow", "superman", "batman", "trustno", "starwars", "whatever",
        "freedom", "secret", "login", "changeme", "default", "abc", "abcdef", "qazwsx", "zaq", "michael", "jennifer", "charlie", "jordan",
        "hunter", "ranger", "summer", "winter", "spring", "autumn", "hello", "helloworld", "computer", "internet", "soccer", "hockey",
        "killer", "pepper", "cheese", "ginger", "flower", "cookie", "chocolate", "mustang", "harley", "thomas", "tigger", "buster",
        "passwordpassword", "mypassword", "newpassword", "password", "letmeinnow", "iloveyoutoo", "tollgate", "license", "licence",
        "qwertyqwerty", "asdfasdf", "asdfghjkl", "zxcvbnm", "abcabc", "ilovechocolate",
    ]
}

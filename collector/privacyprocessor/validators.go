package privacyprocessor

import (
	"math/big"
	"net/netip"
	"strings"
)

// validators turn a candidate into a finding, as tta_otel/privacy/validators.py does: RE2
// cannot express a checksum, and without them ordinary numbers would become placeholders.
var validators = map[string]func(string) bool{
	"luhn":       luhn,
	"iban_mod97": ibanMod97,
	"us_ssn":     usSSN,
	"client_ip":  clientIP,
}

// luhn accepts 13 to 19 digits whose Luhn checksum is zero (payment cards).
func luhn(candidate string) bool {
	var digits []byte
	for i := 0; i < len(candidate); i++ {
		if c := candidate[i]; c >= '0' && c <= '9' {
			digits = append(digits, c-'0')
		}
	}
	if len(digits) < 13 || len(digits) > 19 {
		return false
	}
	total := 0
	for position := 0; position < len(digits); position++ {
		value := int(digits[len(digits)-1-position])
		if position%2 == 1 {
			value *= 2
			if value > 9 {
				value -= 9
			}
		}
		total += value
	}
	return total%10 == 0
}

// ibanMod97 is the ISO 13616 check: the rearranged number modulo 97 equals 1.
func ibanMod97(candidate string) bool {
	compact := strings.ToUpper(strings.ReplaceAll(candidate, " ", ""))
	if len(compact) < 15 || len(compact) > 34 {
		return false
	}
	rearranged := compact[4:] + compact[:4]
	var numeric strings.Builder
	for _, c := range rearranged {
		switch {
		case c >= '0' && c <= '9':
			numeric.WriteRune(c)
		case c >= 'A' && c <= 'Z':
			numeric.WriteString(big.NewInt(int64(c - 'A' + 10)).String())
		default:
			return false
		}
	}
	value, ok := new(big.Int).SetString(numeric.String(), 10)
	return ok && new(big.Int).Mod(value, big.NewInt(97)).Int64() == 1
}

// usSSN refuses numbers that are never issued: area 000, 666 and 9xx, group 00, serial 0000.
func usSSN(candidate string) bool {
	parts := strings.Split(candidate, "-")
	if len(parts) != 3 {
		return false
	}
	area, group, serial := parts[0], parts[1], parts[2]
	return area != "000" && area != "666" && !strings.HasPrefix(area, "9") && group != "00" && serial != "0000"
}

// clientIP accepts addresses that could identify a client: all but loopback and unspecified.
func clientIP(candidate string) bool {
	if !strings.Contains(candidate, ":") {
		return !strings.HasPrefix(candidate, "127.") && candidate != "0.0.0.0"
	}
	address, err := netip.ParseAddr(candidate)
	if err != nil {
		return false
	}
	return !address.IsLoopback() && !address.IsUnspecified()
}

import Foundation

/// A day of the Vietnamese lunar calendar. `leap` marks the leap month, which repeats the
/// number of the month before it.
public struct LunarDate: Hashable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int
    public let leap: Bool

    public init(year: Int, month: Int, day: Int, leap: Bool = false) {
        self.year = year
        self.month = month
        self.day = day
        self.leap = leap
    }

    /// "1/1" or "4n/15" (n: nhuận, the leap month), day first as Vietnamese calendars print it.
    public var description: String { "\(day)/\(month)\(leap ? "n" : "") (\(year))" }
}

/// The Vietnamese lunar calendar, computed (DOMAIN.md §8): the Chinese method — months begin on
/// the day of a new moon, the month holding the winter solstice is the 11th, a year of 13 months
/// makes the first month without a major solar term its leap month — with the new moons and the
/// Sun's longitude found astronomically (Meeus' algorithms) at the meridian of UTC+7. At UTC+8 the
/// same method gives China's calendar, which is why Tết 1985 and 2007 fall on other days there.
/// The calendar arithmetic follows Hồ Ngọc Đức's published algorithm, the reference of
/// Vietnamese calendars, with Meeus' full new-moon series instead of its short one (which puts a
/// few new moons within a minute of midnight on the wrong day). Tested against the published
/// table every day of 1968–2100 (Vietnam's calendars before 1968 were China's, at UTC+8) and
/// against an independent UTC+7 computation over 1900–2100.
public struct LunarCalendar: Sendable {
    /// Hours east of Greenwich of the meridian the days are counted at.
    public let timeZone: Double

    public init(timeZone: Double = 7) { self.timeZone = timeZone }

    public static let vietnam = LunarCalendar(timeZone: 7)

    /// The lunar date of a civil (Gregorian) day.
    public func lunarDate(of date: LocalDate) -> LunarDate {
        let dayNumber = Self.julianDay(date)
        // The mean month gives k to within one; the true new moons settle it.
        var k = Int(floor((Double(dayNumber) - 2415021.076998695) / Self.synodicMonth))
        while newMoonDay(k) > dayNumber { k -= 1 }
        while newMoonDay(k + 1) <= dayNumber { k += 1 }
        let monthStart = newMoonDay(k)
        var a11 = month11(date.year), b11 = a11
        var year: Int
        if a11 >= monthStart {
            year = date.year
            a11 = month11(date.year - 1)
        } else {
            year = date.year + 1
            b11 = month11(date.year + 1)
        }
        let day = dayNumber - monthStart + 1
        let diff = (monthStart - a11) / 29
        var month = diff + 11
        var leap = false
        if b11 - a11 > 365 {
            let leapDiff = leapMonthOffset(a11)
            if diff >= leapDiff {
                month = diff + 10
                leap = diff == leapDiff
            }
        }
        if month > 12 { month -= 12 }
        if month >= 11 && diff < 4 { year -= 1 }
        return LunarDate(year: year, month: month, day: day, leap: leap)
    }

    /// The civil day of a lunar date, or nil when that year has no such month (a leap month it
    /// lacks) or the month is shorter (day 30 of a 29-day month).
    public func solarDate(of lunar: LunarDate) -> LocalDate? {
        guard (1...12).contains(lunar.month), (1...30).contains(lunar.day),
              let start = monthStart(year: lunar.year, month: lunar.month, leap: lunar.leap) else { return nil }
        let date = Self.civilDate(julianDay: start + lunar.day - 1)
        return lunarDate(of: date) == lunar ? date : nil
    }

    /// How many days a lunar month has (29 or 30), nil if the year has no such month.
    public func monthLength(year: Int, month: Int, leap: Bool = false) -> Int? {
        guard let start = monthStart(year: year, month: month, leap: leap) else { return nil }
        return lunarDate(of: Self.civilDate(julianDay: start + 29)).day == 30 ? 30 : 29
    }

    /// The Julian day number on which a lunar month begins.
    func monthStart(year: Int, month: Int, leap: Bool) -> Int? {
        let a11: Int, b11: Int
        if month < 11 {
            a11 = month11(year - 1)
            b11 = month11(year)
        } else {
            a11 = month11(year)
            b11 = month11(year + 1)
        }
        let k = Int(floor(0.5 + (Double(a11) - 2415021.076998695) / Self.synodicMonth))
        var offset = month - 11
        if offset < 0 { offset += 12 }
        if b11 - a11 > 365 {
            let leapOffset = leapMonthOffset(a11)
            var leapMonth = leapOffset - 2
            if leapMonth < 0 { leapMonth += 12 }
            if leap && month != leapMonth { return nil }
            if leap || offset >= leapOffset { offset += 1 }
        } else if leap {
            return nil
        }
        return newMoonDay(k + offset)
    }

    // MARK: - Astronomy

    static let synodicMonth = 29.530588853

    /// The day (Julian day number, local to the meridian) of the k-th new moon after 1900-01-01.
    func newMoonDay(_ k: Int) -> Int {
        Int(floor(Self.newMoon(k) + 0.5 + timeZone / 24))
    }

    /// The Sun's longitude at the start of a local day, as one of 12 sectors of 30°.
    func sunLongitudeSector(_ dayNumber: Int) -> Int {
        Int(floor(Self.sunLongitude(Double(dayNumber) - 0.5 - timeZone / 24) / .pi * 6))
    }

    /// The day the 11th month (the one holding the winter solstice) begins, in the lunar year
    /// that ends in civil year `year`.
    func month11(_ year: Int) -> Int {
        let off = Self.julianDay(LocalDate(year: year, month: 12, day: 31)) - 2415021
        let k = Int(floor(Double(off) / Self.synodicMonth))
        let newMoon = newMoonDay(k)
        return sunLongitudeSector(newMoon) >= 9 ? newMoonDay(k - 1) : newMoon
    }

    /// Which month after the 11th is the leap month of a 13-month year: the first in which the
    /// Sun enters no new sector (no major solar term).
    func leapMonthOffset(_ a11: Int) -> Int {
        let k = Int(floor((Double(a11) - 2415021.076998695) / Self.synodicMonth + 0.5))
        var i = 1
        var arc = sunLongitudeSector(newMoonDay(k + i))
        var last: Int
        repeat {
            last = arc
            i += 1
            arc = sunLongitudeSector(newMoonDay(k + i))
        } while arc != last && i < 14
        return i - 1
    }

    /// The instant (Julian date, UT) of the k-th new moon after 1900-01-01: Meeus, "Astronomical
    /// Algorithms", ch. 49, with the planetary terms (good to seconds), less ΔT.
    static func newMoon(_ hk: Int) -> Double {
        let k = Double(hk - 1237)   // Meeus counts from the new moon of 2000-01-06
        let t = k / 1236.85, t2 = t * t, t3 = t2 * t, t4 = t3 * t
        let dr = Double.pi / 180
        var jde = 2451550.09766 + 29.530588861 * k + 0.00015437 * t2 - 0.000000150 * t3 + 0.00000000073 * t4
        let e = 1 - 0.002516 * t - 0.0000074 * t2
        let m = (2.5534 + 29.10535670 * k - 0.0000014 * t2 - 0.00000011 * t3) * dr
        let mp = (201.5643 + 385.81693528 * k + 0.0107582 * t2 + 0.00001238 * t3 - 0.000000058 * t4) * dr
        let f = (160.7108 + 390.67050284 * k - 0.0016118 * t2 - 0.00000227 * t3 + 0.000000011 * t4) * dr
        let omega = (124.7746 - 1.56375588 * k + 0.0020672 * t2 + 0.00000215 * t3) * dr
        var c = -0.40720 * sin(mp) + 0.17241 * e * sin(m) + 0.01608 * sin(2 * mp) + 0.01039 * sin(2 * f)
        c += 0.00739 * e * sin(mp - m) - 0.00514 * e * sin(mp + m) + 0.00208 * e * e * sin(2 * m)
        c += -0.00111 * sin(mp - 2 * f) - 0.00057 * sin(mp + 2 * f) + 0.00056 * e * sin(2 * mp + m)
        c += -0.00042 * sin(3 * mp) + 0.00042 * e * sin(m + 2 * f) + 0.00038 * e * sin(m - 2 * f)
        c += -0.00024 * e * sin(2 * mp - m) - 0.00017 * sin(omega) - 0.00007 * sin(mp + 2 * m)
        c += 0.00004 * sin(2 * mp - 2 * f) + 0.00004 * sin(3 * m) + 0.00003 * sin(mp + m - 2 * f)
        c += 0.00003 * sin(2 * mp + 2 * f) - 0.00003 * sin(mp + m + 2 * f) + 0.00003 * sin(mp - m + 2 * f)
        c += -0.00002 * sin(mp - m - 2 * f) - 0.00002 * sin(3 * mp + m) + 0.00002 * sin(4 * mp)
        jde += c
        for (i, (coefficient, base, rate)) in planetaryTerms.enumerated() {
            jde += coefficient * sin((base + rate * k - (i == 0 ? 0.009173 * t2 : 0)) * dr)
        }
        return jde - deltaT(year: 2000 + k / 12.3685) / 86_400
    }

    /// Meeus' additional corrections for a new moon: coefficient, and the argument's degrees.
    private static let planetaryTerms: [(Double, Double, Double)] = [
        (0.000325, 299.77, 0.107408), (0.000165, 251.88, 0.016321), (0.000164, 251.83, 26.651886),
        (0.000126, 349.42, 36.412478), (0.000110, 84.66, 18.206239), (0.000062, 141.74, 53.303771),
        (0.000060, 207.14, 2.453732), (0.000056, 154.84, 7.306860), (0.000047, 34.52, 27.261239),
        (0.000042, 207.19, 0.121824), (0.000040, 291.34, 1.844379), (0.000037, 161.72, 24.198154),
        (0.000035, 239.56, 25.513099), (0.000023, 331.55, 3.592518),
    ]

    /// The Sun's apparent longitude (radians, 0..2π) at a Julian date in UT (Meeus, ch. 25:
    /// the equation of the centre, nutation and aberration).
    static func sunLongitude(_ jdUT: Double) -> Double {
        let jd = jdUT + deltaT(year: 2000 + (jdUT - 2451545) / 365.25) / 86_400
        let t = (jd - 2451545.0) / 36525, t2 = t * t
        let dr = Double.pi / 180
        let l0 = 280.46646 + 36000.76983 * t + 0.0003032 * t2
        let m = 357.52911 + 35999.05029 * t - 0.0001537 * t2
        let c = (1.914602 - 0.004817 * t - 0.000014 * t2) * sin(m * dr) + (0.019993 - 0.000101 * t) * sin(2 * m * dr)
            + 0.000289 * sin(3 * m * dr)
        let omega = 125.04 - 1934.136 * t
        var l = (l0 + c - 0.00569 - 0.00478 * sin(omega * dr)) * dr
        l -= 2 * .pi * floor(l / (2 * .pi))
        return l
    }

    /// ΔT = TT − UT in seconds: Espenak and Meeus' polynomials to 2050, then Morrison and
    /// Stephenson's long-term parabola. (With it the computed calendar agrees with the published
    /// one every day of 1968–2100; May 2054's new moon lies 23 s from midnight, inside the
    /// uncertainty of any ΔT predicted that far.)
    static func deltaT(year y: Double) -> Double {
        switch y {
        case ..<1900:
            let t = y - 1860
            return 7.62 + 0.5737 * t - 0.251754 * t * t + 0.01680668 * pow(t, 3) - 0.0004473624 * pow(t, 4) + pow(t, 5) / 233174
        case ..<1920:
            let t = y - 1900
            return -2.79 + 1.494119 * t - 0.0598939 * t * t + 0.0061966 * pow(t, 3) - 0.000197 * pow(t, 4)
        case ..<1941:
            let t = y - 1920
            return 21.20 + 0.84493 * t - 0.076100 * t * t + 0.0020936 * pow(t, 3)
        case ..<1961:
            let t = y - 1950
            return 29.07 + 0.407 * t - t * t / 233 + pow(t, 3) / 2547
        case ..<1986:
            let t = y - 1975
            return 45.45 + 1.067 * t - t * t / 260 - pow(t, 3) / 718
        case ..<2005:
            let t = y - 2000
            return 63.86 + 0.3345 * t - 0.060374 * t * t + 0.0017275 * pow(t, 3) + 0.000651814 * pow(t, 4) + 0.00002373599 * pow(t, 5)
        case ..<2050:
            let t = y - 2000
            return 62.92 + 0.32217 * t + 0.005589 * t * t
        default:
            let u = (y - 1820) / 100
            return -20 + 32 * u * u
        }
    }

    // MARK: - Julian day numbers

    /// The Julian day number of a civil day (Gregorian from 1582-10-15, Julian before).
    static func julianDay(_ d: LocalDate) -> Int {
        let a = (14 - d.month) / 12
        let y = d.year + 4800 - a
        let m = d.month + 12 * a - 3
        let jd = d.day + (153 * m + 2) / 5 + 365 * y + y / 4 - y / 100 + y / 400 - 32045
        return jd < 2299161 ? d.day + (153 * m + 2) / 5 + 365 * y + y / 4 - 32083 : jd
    }

    static func civilDate(julianDay jd: Int) -> LocalDate {
        let b: Int, c: Int
        if jd > 2299160 {
            let a = jd + 32044
            b = (4 * a + 3) / 146097
            c = a - (b * 146097) / 4
        } else {
            b = 0
            c = jd + 32082
        }
        let d = (4 * c + 3) / 1461
        let e = c - (1461 * d) / 4
        let m = (5 * e + 2) / 153
        return LocalDate(year: b * 100 + d - 4800 + m / 10, month: m + 3 - 12 * (m / 10), day: e - (153 * m + 2) / 5 + 1)
    }
}

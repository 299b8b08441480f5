/// The handbook measures' SQL, which both stores run (only the placeholders differ).
public enum MeasureSQL {
    /// A purchase: paid and not returned (delivered is paid).
    static let purchase = "status IN ('paid', 'delivered')"

    /// Buyers of [from, to) and those who bought again within the window: from, to, window (seconds).
    public static func retention(_ from: String, _ to: String, _ window: String) -> String {
        """
        WITH first AS (
            SELECT customer_id, MIN(placed_at) AS f FROM orders WHERE placed_at >= \(from) AND placed_at < \(to) AND \(purchase) GROUP BY customer_id)
        SELECT COUNT(*), COALESCE(SUM(CASE WHEN EXISTS (
            SELECT 1 FROM orders o WHERE o.customer_id = first.customer_id AND o.placed_at > first.f AND o.placed_at <= first.f + \(window) AND o.\(purchase)
        ) THEN 1 ELSE 0 END), 0) FROM first
        """
    }

    /// Buyers and their purchases' total by tier.
    public static let spendByTier = """
        SELECT c.tier, COUNT(*), CAST(SUM(s.total) AS BIGINT) FROM (SELECT customer_id, SUM(amount) AS total FROM orders WHERE \(purchase) GROUP BY customer_id) s
        JOIN customers c ON c.id = s.customer_id GROUP BY c.tier
        """
}

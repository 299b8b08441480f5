/// The job types carecron knows. Adding one: its file in this folder, and its line here.
public enum JobTypeRegistry {
    public static let all: [any JobRules.Type] = [
        PaymentReminderRules.self,
        OrderExpiryRules.self,
        CodConfirmationRules.self,
        BirthdayRules.self,
        PostSaleCheckinRules.self,
        TierUpgradeRules.self,
        CampaignRules.self,
        SurveyRules.self,
        SurveyFollowUpRules.self,
    ]

    public static func rules(for type: JobType) -> (any JobRules.Type)? {
        all.first { $0.type == type }
    }
}

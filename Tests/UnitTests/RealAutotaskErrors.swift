/// Error answers Autotask's REST API gave, as quoted by public sources (each cited).
/// Collected for issue 17, point 4: the classifier is tested against Autotask's own wording.
///
/// Every `body` is copied character for character from its source; nothing here is composed.
/// Where a source quotes only the message (not the `{"errors":[...]}` envelope), the body is the
/// message alone, as quoted. `status` is nil where the source does not say which HTTP status came
/// with the text. `context` notes when a source is a code comment, a test fixture or an
/// expectation rather than a captured answer.
enum RealAutotaskErrors {
    struct Answer: Sendable {
        var status: Int?
        var body: String
        var source: String
        var context: String
        var category: String
    }

    static let answers: [Answer] = [
        // MARK: Credentials and zone

        Answer(
            status: 401, body: #""#,
            source: "https://github.com/segevsh/w6w-apps/blob/HEAD/apps/autotask/lib/client.ts",
            context: "Any call with a missing credential, wrong secret, wrong username or wrong integration code: "
                + "401 with content-length: 0 and only a www-authenticate: Basic Realm header (code comment, "
                + "'measured live against zone 2'; also auth/api-user.ts: 'an empty 401').",
            category: "bad_credentials"),
        Answer(
            status: 500, body: #"{"errors":["Zone information could not be determined"]}"#,
            source: "https://github.com/segevsh/w6w-apps/blob/HEAD/apps/autotask/auth/api-user.ts",
            context: "GET /atservicesrest/V1.0/zoneInformation?user= on webservices.autotask.net for a username "
                + "Autotask does not know (code comment: 'Measured live'; django-autotask api_rest.py likewise: "
                + "'AT returns 500 if username is blank or incorrect').",
            category: "bad_credentials"),
        Answer(
            status: nil, body: #"{"errors":["Zone information could not be determined"]}"#,
            source: "https://github.com/KelvinTegelaar/AutotaskAPI/issues/17",
            context: "GET webservices2 .../v1.0/zoneInformation?user=<email> in a browser while Add-AutotaskAPIAuth "
                + "could not find the user's zone; the maintainer's workaround was to set the zone base URI "
                + "(webservices16) by hand. Status not stated.",
            category: "wrong_zone"),
        Answer(
            status: 500, body: #"{"errors": ["IntegrationCode is invalid"]}"#,
            source: "https://github.com/asachs01/py-autotask/blob/HEAD/tests/test_auth.py",
            context: "GET zoneInformation with a bad integration code. TEST FIXTURE (mocked response), matched by "
                + "py_autotask/auth.py; consistent with apigrate/autotask-restapi#19's paraphrase that an invalid "
                + "integration code answers HTTP 500, but not stated as a captured body.",
            category: "bad_credentials"),

        // MARK: Permissions

        Answer(
            status: 500,
            body: #"The logged in Resource does not have the adequate permissions to create this entity type."#,
            source: "https://github.com/KerkhoffTechnologies/django-autotask/blob/HEAD/djautotask/api_rest.py",
            context: "POST/PATCH Tickets/{id}/ChecklistItems by an API user lacking the permission: 'As of Aug. 2021, "
                + "the REST API returns HTTP 500 for some insufficient permission cases (updating checklist items) "
                + "even though the docs state that HTTP 403 should be returned' (code comment; message kept as "
                + "FORBIDDEN_ERROR_MESSAGE and matched inside the errors array).",
            category: "missing_permission"),

        // MARK: Rate and thread limits

        Answer(
            status: nil,
            body: #"Thread Threshold Exceeded — The Autotask API thread threshold of 3 threads has been exceeded."#,
            source: "https://github.com/msoukhomlinov/n8n-nodes-autotask/pull/107",
            context: "GET ThresholdInformation polled by more than 3 concurrent callers; quoted as a production "
                + "error, followed by a second line 'Method: getThresholdAndUsageInfo'. The 'Thread Threshold "
                + "Exceeded —' heading may be a wrapper's or Autotask's notification title; status not stated "
                + "(other sources report thread-limit refusals as HTTP 429).",
            category: "thread_limit"),

        // MARK: Query and request validation (permanent)

        Answer(
            status: 500, body: #"Unable to find projectID in the TimeEntry Entity"#,
            source: "https://github.com/WYRE-AI/autotask-mcp/blob/HEAD/CLAUDE.md (also PR #282)",
            context: "POST TimeEntries/query with a filter on field projectID, which TimeEntries does not have; "
                + "quoted as 'HTTP 500: Unable to find projectID in the TimeEntry Entity', verified live against "
                + "production 2026-09-07. Message only; envelope not quoted.",
            category: "validation"),
        Answer(
            status: 500, body: #"maxCountOfRecordsToReturn must be between 1 and 500"#,
            source: "https://github.com/WYRE-AI/autotask-mcp/blob/HEAD/CHANGELOG.md (also src/services/autotask-http.ts)",
            context: "POST Companies/query with body MaxRecords: 20000; 'Autotask responds with HTTP 500' and this "
                + "body. Message only; envelope not quoted.",
            category: "validation"),
        Answer(
            status: nil, body: #"{"errors":["Value does not reference an existing entity for taskType . "]}"#,
            source: "https://github.com/WYRE-AI/autotask-mcp/issues/46 (also #47)",
            context: "POST Projects/{id}/Tasks without the required picklist field taskType. Status not stated.",
            category: "validation"),
        Answer(
            status: 500,
            body: #"When assigning a Resource, you must assign both a assignedResourceID and assignedResourceRoleID."#,
            source: "https://github.com/WYRE-AI/msp-claude-plugins/issues/32 (also #31)",
            context: "POST Tickets with assignedResourceID but no assignedResourceRoleID; the MCP wrapper reported "
                + "'Server error (500)'. Message only; envelope not quoted.",
            category: "validation"),
        Answer(
            status: 500,
            body: #"{"errors":["The startDateTime, endDateTime and isComplete cannot be edited if status is of type \"Canceled\".","Error up (truncated...)"#,
            source: "https://github.com/Anteris-Dev/autotask-client/issues/60",
            context: "PUT ServiceCalls setting status to a Cancelled-type status; Guzzle reported '500 Internal Server "
                + "Error' and truncated the body after the second message (the '(truncated...)' is Guzzle's).",
            category: "validation"),
        Answer(
            status: nil,
            body: #"Reference value on field: contactID of type: Contact does not exist or is invalid."#,
            source: "https://github.com/msoukhomlinov/n8n-nodes-autotask/blob/HEAD/nodes/Autotask/helpers/inactive-entity-activation.ts",
            context: "Create/update whose contactID points at an INACTIVE contact (the 'newer' format); code comment "
                + "listing the formats its regex handles. Status not stated.",
            category: "validation"),
        Answer(
            status: nil, body: #"contactID: Value 12345 does not exist or is invalid"#,
            source: "https://github.com/msoukhomlinov/n8n-nodes-autotask/blob/HEAD/nodes/Autotask/helpers/inactive-entity-activation.ts",
            context: "Same cause, 'older' format, quoted in a code comment; the ID 12345 is likely illustrative. "
                + "Status not stated.",
            category: "validation"),
        Answer(
            status: nil,
            body: #"Reference value on field: createdByPersonID of configurationItemType: Resource does not exist or is invalid."#,
            source: "https://github.com/msoukhomlinov/n8n-nodes-autotask/blob/HEAD/nodes/Autotask/resources/configurationItems/moveConfigurationItem.ts",
            context: "POST ConfigurationItems copying a CI whose createdByPersonID is an inactive/deleted resource; "
                + "code comment. Status not stated.",
            category: "validation"),
        Answer(
            status: nil, body: #"Value does not reference an existing entity for lastActivityPersonID."#,
            source: "https://github.com/msoukhomlinov/n8n-nodes-autotask/blob/HEAD/nodes/Autotask/resources/configurationItems/moveConfigurationItem.ts",
            context: "POST ConfigurationItems copying a CI whose lastActivityPersonID no longer resolves; code "
                + "comment. Status not stated.",
            category: "validation"),

        // MARK: Unexplained and routing

        Answer(
            status: nil,
            body: #"An unexpected error has occurred. If the problem persists, please contact Autotask Support and reference Error ID: 1166"#,
            source: "https://github.com/KelvinTegelaar/AutotaskAPI/issues/25",
            context: "POST Companies (New-AutotaskAPIResource); the reporter also saw Error ID 1165 with the same "
                + "text. Anteris-Dev/autotask-client#24 reports company creation failing even from Swagger until "
                + "billToAddressToUse was sent. Status not stated.",
            category: "server_error"),
        Answer(
            status: 405, body: #"{"Message":"The requested resource does not support http method 'GET'."}"#,
            source: "https://github.com/Anteris-Dev/autotask-client/issues/12",
            context: "Root GET /Contacts or /CompanyLocations: the maintainer says it 'should probably return a 405 "
                + "error with the message' above (ASP.NET envelope); at that time it actually returned 404. "
                + "Stated as the expected answer, not a captured one.",
            category: "other"),
    ]
}

#define BOOST_TEST_MODULE common_upstream_error
#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>

#include "common/upstream_error.hpp"
#include "tests/unit/support/q_event_builders.hpp"

using amq::classify_exception;
using amq::classify_upstream_error;
using amq::QEvent;
using amq::UpstreamError;
using Class = amq::UpstreamError::Class;

namespace {

bool contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

// The account and client consequences fixed by each class (docs/upstream.md §3,
// docs/translation.md §6).
void check_class(const UpstreamError& e, Class expected) {
    BOOST_TEST(amq::upstream_error_class_name(e.error_class) ==
               amq::upstream_error_class_name(expected));
    bool account = expected != Class::request && expected != Class::too_long;
    BOOST_TEST(e.account_fault == (account && expected != Class::model));
    BOOST_TEST(e.retry_elsewhere == (account && expected != Class::config));
}

// This file's name for the shared builder.
QEvent exception_event(std::string type, std::string message, std::string reason = {}) {
    return amq::test::exception(std::move(type), std::move(message), std::move(reason));
}

}  // namespace

BOOST_AUTO_TEST_CASE(improperly_formed_request_is_the_clients_with_the_reason) {
    auto e = classify_upstream_error(
        400,
        R"({"__type":"com.amazon.aws.codewhisperer#ValidationException",)"
        R"("message":"Improperly formed request.","reason":"INVALID_TOOL_RESULT"})",
        "");
    check_class(e, Class::request);
    BOOST_TEST(e.client_status == 400);
    BOOST_TEST(e.client_error_type == "invalid_request_error");
    BOOST_TEST(contains(e.message, "Improperly formed request."));
    BOOST_TEST(contains(e.message, "INVALID_TOOL_RESULT"));
    BOOST_TEST(e.upstream_type == "ValidationException");
    BOOST_TEST(e.upstream_reason == "INVALID_TOOL_RESULT");
}

BOOST_AUTO_TEST_CASE(plain_text_400_is_a_request_error) {
    auto e = classify_upstream_error(400, "Bad\r\nthing", "");
    check_class(e, Class::request);
    BOOST_TEST(e.client_status == 400);
    BOOST_TEST(contains(e.message, "Bad  thing"));  // one line
}

BOOST_AUTO_TEST_CASE(content_length_exceeded_is_prompt_too_long) {
    const char* bodies[] = {
        R"({"__type":"com.amazon.aws.codewhisperer#ValidationException",)"
        R"("message":"Improperly formed request.","reason":"CONTENT_LENGTH_EXCEEDS_THRESHOLD"})",
        R"({"message":"Input is too long."})",
        "Input is too long for requested model.",
    };
    for (const char* body : bodies) {
        BOOST_TEST_CONTEXT(body) {
            auto e = classify_upstream_error(400, body, "");
            check_class(e, Class::too_long);
            BOOST_TEST(e.client_status == 400);
            BOOST_TEST(e.client_error_type == "invalid_request_error");
            BOOST_TEST(e.message == "prompt is too long");
        }
    }
}

BOOST_AUTO_TEST_CASE(provided_credential_invalid_is_configuration) {
    auto e =
        classify_upstream_error(400, R"({"message":"The provided credential is invalid."})", "");
    check_class(e, Class::config);
    BOOST_TEST(e.client_status == 502);
    BOOST_TEST(e.client_error_type == "api_error");
    BOOST_TEST(contains(e.message, "endpoint"));
    BOOST_TEST(contains(e.message, "The provided credential is invalid."));
}

BOOST_AUTO_TEST_CASE(invalid_bearer_token_is_a_token_problem) {
    for (int status : {401, 403}) {
        BOOST_TEST_CONTEXT(status) {
            auto e = classify_upstream_error(
                status, R"({"message":"The bearer token included in the request is invalid."})",
                "");
            check_class(e, Class::token);
            BOOST_TEST(e.client_status == 502);  // never 401: the client's key is fine
        }
    }
}

BOOST_AUTO_TEST_CASE(suspended_account_is_banned) {
    auto with_reason = classify_upstream_error(
        403,
        R"({"__type":"com.amazon.aws.codewhisperer#AccessDeniedException","message":)"
        R"("Your User ID (abc) temporarily is suspended.","reason":"TEMPORARILY_SUSPENDED"})",
        "");
    check_class(with_reason, Class::banned);
    BOOST_TEST(!contains(with_reason.message, "abc"));  // the account's details stay ours
    BOOST_TEST(contains(with_reason.upstream_message, "abc"));

    auto text_only = classify_upstream_error(403, "Account temporarily is suspended", "");
    check_class(text_only, Class::banned);
    BOOST_TEST(text_only.client_status == 503);
}

BOOST_AUTO_TEST_CASE(monthly_quota_is_quota) {
    auto payment = classify_upstream_error(402, R"({"message":"Payment required"})", "");
    check_class(payment, Class::quota);
    BOOST_TEST(payment.client_status == 429);

    auto monthly = classify_upstream_error(
        429,
        R"({"__type":"ServiceQuotaExceededException","message":"You have reached the limit.",)"
        R"("reason":"MONTHLY_REQUEST_COUNT"})",
        "");
    check_class(monthly, Class::quota);
    BOOST_TEST(monthly.client_error_type == "rate_limit_error");
}

BOOST_AUTO_TEST_CASE(throttling_honours_retry_after) {
    auto e = classify_upstream_error(
        429, R"({"__type":"ThrottlingException","message":"Too many requests"})", "7");
    check_class(e, Class::throttle);
    BOOST_TEST(e.client_status == 429);
    BOOST_TEST(e.client_error_type == "rate_limit_error");
    BOOST_REQUIRE(e.retry_after_seconds.has_value());
    BOOST_TEST(*e.retry_after_seconds == 7.0);

    auto text = classify_upstream_error(400, "Too many requests, please wait", "");
    check_class(text, Class::throttle);
    BOOST_TEST(!text.retry_after_seconds.has_value());
}

BOOST_AUTO_TEST_CASE(server_errors_and_no_answer_are_transient) {
    struct Row {
        int status;
        int client_status;
    };
    const Row rows[] = {{500, 502}, {502, 502}, {503, 503}, {504, 502}, {0, 502}, {408, 502}};
    for (const Row& row : rows) {
        BOOST_TEST_CONTEXT(row.status) {
            auto e = classify_upstream_error(row.status, "upstream trouble", "");
            check_class(e, Class::transient);
            BOOST_TEST(e.client_status == row.client_status);
            BOOST_TEST(contains(e.message, "upstream trouble"));
        }
    }
}

BOOST_AUTO_TEST_CASE(unknown_auth_failures_try_the_token_first) {
    auto e = classify_upstream_error(
        403, R"({"__type":"AccessDeniedException","message":"User is not authorized"})", "");
    check_class(e, Class::token);
}

BOOST_AUTO_TEST_CASE(profile_arn_required_is_configuration) {
    auto e = classify_upstream_error(
        400, R"({"message":"profileArn is required for this request."})", "");
    check_class(e, Class::config);
}

BOOST_AUTO_TEST_CASE(long_upstream_text_is_bounded) {
    std::string body(5000, 'x');
    auto e = classify_upstream_error(400, body, "");
    BOOST_TEST(e.message.size() < 600u);
    BOOST_TEST(e.upstream_message.size() < 600u);
}

BOOST_AUTO_TEST_CASE(retry_after_parsing) {
    BOOST_TEST(amq::parse_retry_after("7").value_or(-1) == 7.0);
    BOOST_TEST(amq::parse_retry_after(" 1.5 ").value_or(-1) == 1.5);
    BOOST_TEST(!amq::parse_retry_after("").has_value());
    BOOST_TEST(!amq::parse_retry_after("-3").has_value());
    BOOST_TEST(!amq::parse_retry_after("soon").has_value());
    BOOST_TEST(!amq::parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT").has_value());
}

BOOST_AUTO_TEST_CASE(stream_exceptions) {
    struct Row {
        const char* type;
        const char* reason;
        Class expected;
        int status;
    };
    const Row rows[] = {
        {"ThrottlingException", "", Class::throttle, 429},
        {"ValidationException", "", Class::request, 400},
        {"ValidationException", "CONTENT_LENGTH_EXCEEDS_THRESHOLD", Class::too_long, 400},
        {"ContentLengthExceededException", "", Class::too_long, 400},
        {"InternalServerException", "", Class::transient, 502},
        {"AccessDeniedException", "", Class::token, 502},
        {"AccessDeniedException", "TEMPORARILY_SUSPENDED", Class::banned, 503},
        {"ServiceQuotaExceededException", "", Class::throttle, 429},
        {"ServiceQuotaExceededException", "MONTHLY_REQUEST_COUNT", Class::quota, 429},
        {"SomethingNewException", "", Class::transient, 502},
    };
    for (const Row& row : rows) {
        BOOST_TEST_CONTEXT(row.type << " " << row.reason) {
            auto e = classify_exception(exception_event(row.type, "words", row.reason));
            check_class(e, row.expected);
            BOOST_TEST(e.client_status == row.status);
        }
    }
    auto internal = classify_exception(exception_event("InternalServerException", "oops"));
    BOOST_TEST(internal.client_error_type == "api_error");
    BOOST_TEST(contains(internal.message, "InternalServerException"));
    BOOST_TEST(contains(internal.message, "oops"));
}

BOOST_AUTO_TEST_CASE(invalid_state_event_is_an_api_error_without_account_effect) {
    QEvent e;
    e.kind = QEvent::Kind::invalid_state;
    e.event_type = "invalidStateEvent";
    e.reason = "INVALID_TASK";
    e.message = "bad state";
    auto error = classify_exception(e);
    check_class(error, Class::request);
    BOOST_TEST(error.client_status == 502);
    BOOST_TEST(error.client_error_type == "api_error");
    BOOST_TEST(contains(error.message, "INVALID_TASK"));
    BOOST_TEST(contains(error.message, "bad state"));
}

BOOST_AUTO_TEST_CASE(limits_after_suspicious_activity_are_their_own_class) {
    auto e = classify_upstream_error(
        429,
        R"({"__type":"ThrottlingException","message":"Due to suspicious activity, we are imposing temporary limits on your account"})",
        "");
    check_class(e, Class::suspicious);
    BOOST_TEST(e.client_status == 429);
    BOOST_TEST(amq::upstream_error_class_name(e.error_class) == "suspicious");
}

BOOST_AUTO_TEST_CASE(a_locked_account_is_banned) {
    auto e = classify_upstream_error(
        403,
        R"({"__type":"AccessDeniedException","message":"We have locked your account as a security precaution"})",
        "");
    check_class(e, Class::banned);
}

BOOST_AUTO_TEST_CASE(overage_limits_are_the_monthly_quota) {
    auto e = classify_upstream_error(
        429, R"({"__type":"ThrottlingException","reason":"OVERAGE_REQUEST_LIMIT_EXCEEDED"})", "");
    check_class(e, Class::quota);
}

BOOST_AUTO_TEST_CASE(a_model_the_account_may_not_use_goes_to_another_account) {
    auto e = classify_upstream_error(
        400,
        R"({"__type":"ValidationException","message":"Invalid model","reason":"INVALID_MODEL_ID"})",
        "");
    check_class(e, Class::model);
    BOOST_TEST(e.client_status == 400);
}

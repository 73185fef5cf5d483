#define BOOST_TEST_MODULE common_prompt_prefix
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "common/prompt_prefix.hpp"
#include "common/q_request.hpp"

using amq::PromptPrefix;
using amq::QConversation;
using amq::QTurn;

namespace {

QTurn turn(QTurn::Role role, std::string text) {
    QTurn t;
    t.role = role;
    t.text = std::move(text);
    return t;
}

// A conversation of `exchanges` question/answer pairs and one last question.
QConversation talk(int exchanges, std::string system = "Be brief.") {
    QConversation c;
    c.system = std::move(system);
    c.tools.push_back({"read_file", "Reads a file", R"({"type":"object"})"});
    for (int i = 0; i < exchanges; ++i) {
        c.turns.push_back(turn(QTurn::Role::user, "question " + std::to_string(i)));
        c.turns.push_back(turn(QTurn::Role::assistant, "answer " + std::to_string(i)));
    }
    c.turns.push_back(turn(QTurn::Role::user, "last question"));
    return c;
}

amq::QBody body(QConversation c) {
    auto out = amq::build_q_body(std::move(c), amq::QBodyOptions{});
    if (!out) BOOST_FAIL(out.error().message);
    return std::move(*out);
}

std::vector<PromptPrefix> prefixes(QConversation c, std::size_t max = amq::kMaxPromptPrefixes) {
    return amq::prompt_prefixes(*body(std::move(c)).plan, max);
}

bool has_hash(const std::vector<PromptPrefix>& list, std::uint64_t hash) {
    return std::any_of(list.begin(), list.end(),
                       [&](const PromptPrefix& p) { return p.hash == hash; });
}

}  // namespace

BOOST_AUTO_TEST_CASE(head_then_one_prefix_per_turn_adding_up_to_the_estimate) {
    amq::QBody b = body(talk(2));
    auto list = amq::prompt_prefixes(*b.plan);
    BOOST_TEST(list.size() == 1u + 5u);
    BOOST_TEST(list.back().tokens == b.estimated_input_tokens);
    BOOST_TEST(list.front().tokens > 0);
    for (std::size_t i = 1; i < list.size(); ++i) BOOST_TEST(list[i].tokens > list[i - 1].tokens);
}

BOOST_AUTO_TEST_CASE(the_next_turn_of_a_conversation_extends_the_same_prefixes) {
    auto first = prefixes(talk(1));
    QConversation next = talk(1);
    next.turns.back().text = "last question";  // the same question, now answered
    next.turns.push_back(turn(QTurn::Role::assistant, "its answer"));
    next.turns.push_back(turn(QTurn::Role::user, "one more"));
    auto second = prefixes(next);
    BOOST_REQUIRE(second.size() == first.size() + 2);
    for (std::size_t i = 0; i < first.size(); ++i) {
        BOOST_TEST(second[i].hash == first[i].hash);
        BOOST_TEST(second[i].tokens == first[i].tokens);
    }
}

BOOST_AUTO_TEST_CASE(another_system_prompt_or_tool_changes_every_prefix) {
    auto base = prefixes(talk(1));
    auto other_system = prefixes(talk(1, "Be verbose."));
    QConversation other_tools = talk(1);
    other_tools.tools.front().description = "Reads a file, or a directory";
    auto changed_tool = prefixes(other_tools);
    for (const PromptPrefix& p : base) {
        BOOST_TEST(!has_hash(other_system, p.hash));
        BOOST_TEST(!has_hash(changed_tool, p.hash));
    }
}

BOOST_AUTO_TEST_CASE(an_edited_turn_changes_the_prefixes_from_there_on) {
    auto base = prefixes(talk(2));
    QConversation edited = talk(2);
    edited.turns[2].text = "question 1, reworded";
    auto changed = prefixes(edited);
    BOOST_REQUIRE(changed.size() == base.size());
    for (std::size_t i = 0; i < base.size(); ++i)
        BOOST_TEST((changed[i].hash == base[i].hash) == (i < 3), "prefix " << i);
}

BOOST_AUTO_TEST_CASE(a_tool_call_and_its_result_are_part_of_their_turns) {
    QConversation plain = talk(1);
    QConversation with_call = talk(1);
    with_call.turns[1].tool_uses.push_back({"t1", "read_file", R"({"path":"a"})"});
    with_call.turns[2].tool_results.push_back({"t1", "contents", false});
    auto a = prefixes(plain), b = prefixes(with_call);
    BOOST_TEST(a[1].hash == b[1].hash);
    BOOST_TEST(a[2].hash != b[2].hash);
    BOOST_TEST(a.back().tokens < b.back().tokens);
}

BOOST_AUTO_TEST_CASE(a_long_conversation_keeps_its_head_and_its_deepest_prefixes) {
    QConversation long_talk = talk(40);
    amq::QBody b = body(long_talk);
    auto all = amq::prompt_prefixes(*b.plan, 1000);
    auto capped = amq::prompt_prefixes(*b.plan, 10);
    BOOST_REQUIRE(capped.size() == 10u);
    BOOST_TEST(capped.front().hash == all.front().hash);
    for (std::size_t i = 1; i < capped.size(); ++i) {
        BOOST_TEST(capped[i].hash == all[all.size() - capped.size() + i].hash);
        BOOST_TEST(capped[i].tokens == all[all.size() - capped.size() + i].tokens);
    }
    BOOST_TEST(capped.back().tokens == b.estimated_input_tokens);
}

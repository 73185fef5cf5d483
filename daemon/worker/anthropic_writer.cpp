#include "daemon/worker/anthropic_writer.hpp"

namespace amq {
namespace {

class AnthropicWriter final : public ClientStream {
public:
    explicit AnthropicWriter(const AnthropicStreamOptions& options) : stream_(options) {}

    Dialect dialect() const override { return Dialect::anthropic; }
    std::string start() override { return stream_.start(); }
    std::string on_event(const QEvent& event) override { return stream_.on_event(event); }
    std::string finish() override { return stream_.finish(); }
    std::string error_event(int status, std::string_view message) override {
        return stream_.error_event(anthropic_error_type(status), message);
    }
    std::string ping() override { return AnthropicStream::ping(); }
    std::string body() const override { return stream_.message_json(); }
    std::optional<Error> failure() const override { return stream_.failure(); }
    std::int64_t input_tokens() const override { return stream_.input_tokens(); }
    std::int64_t output_tokens() const override { return stream_.output_tokens(); }

private:
    AnthropicStream stream_;
};

}  // namespace

std::unique_ptr<ClientStream> make_anthropic_writer(const AnthropicStreamOptions& options) {
    return std::make_unique<AnthropicWriter>(options);
}

}  // namespace amq

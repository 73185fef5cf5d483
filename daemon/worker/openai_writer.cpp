#include "daemon/worker/openai_writer.hpp"

namespace amq {
namespace {

class OpenAiWriter final : public ClientStream {
public:
    explicit OpenAiWriter(const OpenAiStreamOptions& options) : stream_(options) {}

    Dialect dialect() const override { return Dialect::openai; }
    std::string start() override { return stream_.start(); }
    std::string on_event(const QEvent& event) override { return stream_.on_event(event); }
    std::string finish() override { return stream_.finish(); }
    std::string error_event(int status, std::string_view message) override {
        return stream_.error_event(status, message);
    }
    std::string ping() override { return OpenAiStream::ping(); }
    std::string body() const override { return stream_.completion_json(); }
    std::optional<Error> failure() const override { return stream_.failure(); }
    std::int64_t input_tokens() const override { return stream_.input_tokens(); }
    std::int64_t output_tokens() const override { return stream_.output_tokens(); }

private:
    OpenAiStream stream_;
};

}  // namespace

std::unique_ptr<ClientStream> make_openai_writer(const OpenAiStreamOptions& options) {
    return std::make_unique<OpenAiWriter>(options);
}

}  // namespace amq

// Frees the disk blocks of a byte range of a file while its size and every other byte stay: analyze --follow's
// log files grow for as long as the run lasts, and the rows already committed to the database are not read again.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <napi.h>

namespace zeek_arrow {

// releaseBytes(path, offset, length) -> true when freed, false when the file system cannot (EOPNOTSUPP).
static Napi::Value ReleaseBytes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if ( info.Length() < 3 || ! info[0].IsString() || ! info[1].IsNumber() || ! info[2].IsNumber() ) {
    Napi::TypeError::New(env, "releaseBytes(path, offset, length)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  off_t offset = info[1].As<Napi::Number>().Int64Value();
  off_t length = info[2].As<Napi::Number>().Int64Value();
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if ( fd < 0 ) {
    Napi::Error::New(env, path + ": " + std::strerror(errno)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int rc = length > 0 ? fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length) : 0;
  int error = errno;
  close(fd);
  if ( rc != 0 && error != EOPNOTSUPP ) {
    Napi::Error::New(env, path + ": cannot free bytes " + std::to_string(offset) + "-" + std::to_string(offset + length) + ": " +
                     std::strerror(error)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Boolean::New(env, rc == 0);
}

Napi::Object InitFileHole(Napi::Env env, Napi::Object exports) {
  exports.Set("releaseBytes", Napi::Function::New(env, ReleaseBytes, "releaseBytes"));
  return exports;
}

} // namespace zeek_arrow

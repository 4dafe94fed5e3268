// Boost.Asio and Boost.Beast compiled once, here (separate compilation), instead of in every
// translation unit that includes them: on two cores this is minutes per clean build.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>

## Los correos, mensajes y llamadas del notificador, en español.

reset-subject = Restablece tu contraseña
reset-asked = Alguien ha pedido restablecer la contraseña de tu cuenta.
reset-asked-account = Alguien ha pedido restablecer la contraseña de tu cuenta en { $account }.
reset-open = Para elegir una contraseña nueva, abre este enlace antes de una hora:
reset-once = El enlace funciona una vez. Si no lo has pedido tú, ignora este correo: tu contraseña sigue igual.
code-subject = Tu código de verificación: { $code }
code-body = Tu código de verificación es { $code }.
code-note = Es válido durante 10 minutos. Si no has intentado iniciar sesión, alguien conoce tu contraseña: cámbiala.
code-sms = Tu código de verificación es { $code }. Es válido durante 10 minutos.
code-voice = Tu código de verificación es { $code }.
code-voice-again = Otra vez: { $code }.
